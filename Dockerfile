# The image `orchard serve` runs from in Kubernetes (infra/kubernetes.ts), and the image
# `compute: container` steps run (lambdas/container-runner.ts): Orchard compiled to JavaScript
# (lib/, `npm run build`) on plain Node, production dependencies only (no tsx, no sources), as
# the non-root `node` user (uid 1000), with a read-only root filesystem in the pod.
#
#   docker build -t orchard:0.1.0 .
#   docker run --rm -p 8080:8080 -e ORCHARD_REGISTRY_TABLE=… -v ./pipeline.yaml:/etc/orchard/pipeline.yaml orchard:0.1.0
#
# Node 22: the Lambda runtime the same code runs on (nodejs22.x). The Deployment passes the
# same arguments as CMD below (test/infra/kubernetes-entrypoint.test.ts checks they agree, and
# runs this entry command without Docker from the final stage's files: lib/ built by
# scripts/build-package.ts, bin/, and the production dependencies, tsx absent).

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build-package.ts ./scripts/build-package.ts
COPY types ./types
COPY pipeline ./pipeline
COPY lambdas ./lambdas
COPY infra ./infra
COPY cli ./cli
COPY testing ./testing
RUN npm run build

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
COPY package.json ./
COPY bin ./bin
COPY --from=build /app/lib ./lib
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "bin/orchard.js"]
CMD ["serve", "/etc/orchard/pipeline.yaml", "--port", "8080", "--host", "0.0.0.0", "--metrics", "emf"]
