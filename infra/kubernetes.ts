/**
 * KubernetesServing (`orchard:serving.target: kubernetes`): `orchard serve` in an existing
 * cluster, per pipeline, with @pulumi/kubernetes. One Namespace for the stack; per pipeline a
 * ServiceAccount whose IAM role (IRSA: assumed through the cluster's OIDC provider, only by
 * that service account) carries exactly the predict Lambda's grants, a ConfigMap naming the
 * model registry, the buckets and the spec, a Deployment, a Service, a
 * HorizontalPodAutoscaler and a PodDisruptionBudget.
 *
 * The pods run the image built from the repository's Dockerfile with the same arguments as
 * its CMD (`SERVE_ARGS`, checked against the Dockerfile in tests): non-root, read-only root
 * filesystem (a small /tmp for TMPDIR), no privilege escalation, no capabilities, no
 * Kubernetes API token. Readiness and liveness probe `/health`, which turns 503 while a pod
 * drains on SIGTERM. Requests equal limits (Guaranteed QoS: predictable latency, never the
 * first evicted). `spec.replicas` is left to the autoscaler.
 *
 * Resource names are explicit (`orchard-<pipeline>`): Kubernetes objects reference each
 * other by name, and a pipeline name is already a DNS label.
 */
import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type AccessTargets, stepPolicy } from "./access/policies.ts";
import type { KubernetesConfig } from "./serving.ts";
import { componentTags } from "./tags.ts";

export const SERVE_PORT = 8080;
export const SPEC_DIR = "/etc/orchard";
export const SPEC_FILE = "pipeline.yaml";
/** The container's arguments after the image's ENTRYPOINT (`node bin/orchard.js`). */
export const SERVE_ARGS = [
  "serve",
  `${SPEC_DIR}/${SPEC_FILE}`,
  "--port",
  String(SERVE_PORT),
  "--host",
  "0.0.0.0",
  "--metrics",
  "emf",
];
/** The image's non-root user (the `node` user of the official Node.js images). */
export const RUN_AS_USER = 1000;

export interface KubernetesPipeline {
  name: string;
  specYaml: string;
  /** What the predict role may reach (the same targets as the predict Lambda's). */
  targets: pulumi.Input<AccessTargets>;
  /** Whether the model takes features from views (`features.from`): online lookup per request. */
  views?: boolean;
}

export interface KubernetesServingArgs {
  config: KubernetesConfig;
  region: string;
  /** ORCHARD_* storage variables (bucket and table names). */
  storageEnv: Record<string, pulumi.Input<string>>;
  pipelines: KubernetesPipeline[];
}

export interface KubernetesPipelineResources {
  role: aws.iam.Role;
  serviceAccount: k8s.core.v1.ServiceAccount;
  configMap: k8s.core.v1.ConfigMap;
  deployment: k8s.apps.v1.Deployment;
  service: k8s.core.v1.Service;
  autoscaler: k8s.autoscaling.v2.HorizontalPodAutoscaler;
  disruptionBudget: k8s.policy.v1.PodDisruptionBudget;
}

export class KubernetesServing extends pulumi.ComponentResource {
  readonly namespace: k8s.core.v1.Namespace;
  readonly pipelines: Record<string, KubernetesPipelineResources> = {};

  constructor(name: string, args: KubernetesServingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("orchard:serving:KubernetesServing", name, {}, opts);
    if (args.pipelines.length === 0) {
      throw new Error(`KubernetesServing ${name}: pipelines is empty; serve at least one`);
    }
    const child = { parent: this };
    const ns = args.config.namespace;
    this.namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      {
        metadata: {
          name: ns,
          labels: {
            "app.kubernetes.io/part-of": "orchard",
            // Pods here must meet the "restricted" Pod Security Standard.
            "pod-security.kubernetes.io/enforce": "restricted",
          },
        },
      },
      child,
    );
    for (const pipeline of args.pipelines) {
      this.pipelines[pipeline.name] = this.createPipeline(name, pipeline, args);
    }
    this.registerOutputs({ namespace: ns });
  }

  private createPipeline(
    name: string,
    pipeline: KubernetesPipeline,
    args: KubernetesServingArgs,
  ): KubernetesPipelineResources {
    const { config } = args;
    const n = `${name}-${pipeline.name}`;
    const objectName = `orchard-${pipeline.name}`;
    const namespace = this.namespace.metadata.name;
    const labels = {
      "app.kubernetes.io/name": "orchard-serve",
      "app.kubernetes.io/instance": objectName,
      "app.kubernetes.io/part-of": "orchard",
      "orchard.dev/pipeline": pipeline.name,
    };
    const meta = { name: objectName, namespace, labels };
    const child = { parent: this };

    const role = createRole();
    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${n}-sa`,
      {
        metadata: { ...meta, annotations: { "eks.amazonaws.com/role-arn": role.arn } },
        automountServiceAccountToken: false,
      },
      child,
    );
    const env: Record<string, pulumi.Input<string>> = {
      ...args.storageEnv,
      ORCHARD_PIPELINE: pipeline.name,
      AWS_REGION: args.region,
      ORCHARD_CHAMPION_REFRESH_SECONDS: "5",
      ORCHARD_LOG_LEVEL: "info",
      TMPDIR: "/tmp",
      // Looked-up view rows are reused this long per pod (the predict Lambda's default).
      ...(pipeline.views ? { ORCHARD_FEATURE_CACHE_SECONDS: "1" } : {}),
    };
    const configMap = new k8s.core.v1.ConfigMap(
      `${n}-config`,
      { metadata: meta, data: { ...env, [SPEC_FILE]: pipeline.specYaml } },
      child,
    );
    const deployment = createDeployment();
    const service = new k8s.core.v1.Service(
      `${n}-service`,
      {
        metadata: meta,
        spec: {
          type: "ClusterIP",
          selector: labels,
          ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
        },
      },
      child,
    );
    const autoscaler = new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${n}-hpa`,
      {
        metadata: meta,
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: objectName },
          minReplicas: config.replicas.min,
          maxReplicas: config.replicas.max,
          metrics: [
            {
              type: "Resource",
              resource: {
                name: "cpu",
                target: { type: "Utilization", averageUtilization: config.targetCpuPercent },
              },
            },
          ],
        },
      },
      { ...child, dependsOn: [deployment] },
    );
    const disruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
      `${n}-pdb`,
      // maxUnavailable, not minAvailable: with one replica a minAvailable of 1 blocks drains.
      { metadata: meta, spec: { maxUnavailable: 1, selector: { matchLabels: labels } } },
      child,
    );
    return { role, serviceAccount, configMap, deployment, service, autoscaler, disruptionBudget };

    function createRole(): aws.iam.Role {
      const issuer = config.oidcProviderArn.replace(/^arn:[^:]+:iam::\d{12}:oidc-provider\//, "");
      const role = new aws.iam.Role(
        `${n}-role`,
        {
          description: `Orchard ${pipeline.name}: orchard serve pods (service account ${config.namespace}/${objectName})`,
          assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "ServeServiceAccountAssumesRole",
                Effect: "Allow",
                Principal: { Federated: config.oidcProviderArn },
                Action: ["sts:AssumeRoleWithWebIdentity"],
                Condition: {
                  StringEquals: {
                    [`${issuer}:sub`]: `system:serviceaccount:${config.namespace}:${objectName}`,
                    [`${issuer}:aud`]: "sts.amazonaws.com",
                  },
                },
              },
            ],
          }),
          tags: componentTags("serving", { pipeline: pipeline.name }),
        },
        child,
      );
      new aws.iam.RolePolicy(
        `${n}-role-policy`,
        {
          role: role.id,
          // The predict Lambda's own grants; no X-Ray from pods.
          policy: pulumi
            .output(pipeline.targets)
            .apply((t) =>
              JSON.stringify(stepPolicy("predict", t as AccessTargets, { tracing: false })),
            ),
        },
        child,
      );
      return role;
    }

    function createDeployment(): k8s.apps.v1.Deployment {
      // Readiness asks /ready (503 until a champion is served); liveness /health (alive even
      // before the first promotion, so a pod is not restarted for want of a model).
      const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
        httpGet: { path, port: "http" },
        periodSeconds,
        timeoutSeconds: 2,
        failureThreshold,
      });
      const configHash = createHash("sha256").update(pipeline.specYaml).digest("hex").slice(0, 16);
      return new k8s.apps.v1.Deployment(
        `${n}-deployment`,
        {
          metadata: meta,
          spec: {
            selector: { matchLabels: labels },
            strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
            template: {
              // A new spec rolls the pods (a ConfigMap change alone would not).
              metadata: { labels, annotations: { "orchard.dev/spec-sha256": configHash } },
              spec: {
                serviceAccountName: objectName,
                automountServiceAccountToken: false,
                terminationGracePeriodSeconds: 30,
                securityContext: {
                  runAsNonRoot: true,
                  runAsUser: RUN_AS_USER,
                  runAsGroup: RUN_AS_USER,
                  fsGroup: RUN_AS_USER,
                  seccompProfile: { type: "RuntimeDefault" },
                },
                containers: [
                  {
                    name: "serve",
                    image: config.image,
                    args: SERVE_ARGS,
                    ports: [{ name: "http", containerPort: SERVE_PORT, protocol: "TCP" }],
                    env: Object.keys(env)
                      .sort()
                      .map((key) => ({
                        name: key,
                        valueFrom: { configMapKeyRef: { name: objectName, key } },
                      })),
                    readinessProbe: probe("/ready", 5, 2),
                    livenessProbe: { ...probe("/health", 10, 3), initialDelaySeconds: 15 },
                    resources: {
                      requests: { cpu: config.resources.cpu, memory: config.resources.memory },
                      limits: { cpu: config.resources.cpu, memory: config.resources.memory },
                    },
                    securityContext: {
                      allowPrivilegeEscalation: false,
                      readOnlyRootFilesystem: true,
                      runAsNonRoot: true,
                      capabilities: { drop: ["ALL"] },
                    },
                    volumeMounts: [
                      { name: "spec", mountPath: SPEC_DIR, readOnly: true },
                      { name: "tmp", mountPath: "/tmp" },
                    ],
                  },
                ],
                volumes: [
                  {
                    name: "spec",
                    configMap: { name: objectName, items: [{ key: SPEC_FILE, path: SPEC_FILE }] },
                  },
                  { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
                ],
              },
            },
          },
        },
        { ...child, dependsOn: [configMap, serviceAccount] },
      );
    }
  }
}
