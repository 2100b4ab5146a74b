# The image `orchard serve` runs from in Kubernetes (infra/kubernetes.ts): the Orchard sources
# run by tsx, production dependencies only, as the non-root `node` user (uid 1000), with a
# read-only root filesystem in the pod (tsx caches under TMPDIR, an emptyDir at /tmp).
#
#   docker build -t orchard:0.1.0 .
#   docker run --rm -p 8080:8080 -e ORCHARD_REGISTRY_TABLE=… -v ./pipeline.yaml:/etc/orchard/pipeline.yaml orchard:0.1.0
#
# Node 22: the Lambda runtime the same code runs on (nodejs22.x). The Deployment passes the
# same arguments as CMD below (test/infra/kubernetes-entrypoint.test.ts checks they agree and
# runs this entry command without Docker).

FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    TMPDIR=/tmp \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY cli ./cli
COPY lambdas ./lambdas
COPY pipeline ./pipeline
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "bin/orchard.js"]
CMD ["serve", "/etc/orchard/pipeline.yaml", "--port", "8080", "--host", "0.0.0.0", "--metrics", "emf"]
