/**
 * The Kubernetes serving target (`orchard:serving.target: kubernetes`) for the staging and
 * prod stacks under Pulumi mocks: every manifest validates against the Kubernetes models
 * (kubernetes-models, the OpenAPI schemas of the API server), and the rules a reviewer cares
 * about hold: probes on /health, requests and limits, non-root with a read-only root
 * filesystem, objects that reference each other by the right names, an IRSA role that only
 * the service account can assume and that reads only what predict reads.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../infra/config.ts";
import { RUN_AS_USER, SERVE_ARGS, SERVE_PORT } from "../../infra/kubernetes.ts";
import { parseServing } from "../../infra/serving.ts";
import { STORAGE_ENV } from "../../lambdas/io/env.ts";
import { type CapturedResource, runStack, type StackRun } from "./harness.ts";
import { SERVING } from "./kubernetes-fixture.ts";

// biome-ignore lint/suspicious/noExplicitAny: each model class takes its own manifest type
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ServiceAccount": ServiceAccount,
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
};

const kubernetesOf = (run: StackRun) =>
  run.resources.filter((r) => r.type.startsWith("kubernetes:"));
const kind = (run: StackRun, k: string): CapturedResource => {
  const found = kubernetesOf(run).filter((r) => r.inputs.kind === k);
  expect(found).toHaveLength(1);
  return found[0];
};

describe.each(["staging", "prod"])("%s stack with serving.target kubernetes", (stack) => {
  let run: StackRun;
  beforeAll(async () => {
    run = await runStack(stack, { config: { "orchard:serving": JSON.stringify(SERVING) } });
  }, 60_000);

  it("declares the seven objects, each valid against the Kubernetes models", () => {
    const manifests = kubernetesOf(run).map((r) => r.inputs);
    expect(manifests.map((m) => `${m.apiVersion}/${m.kind}`).sort()).toEqual(
      Object.keys(MODELS).sort(),
    );
    for (const m of manifests) {
      const Model = MODELS[`${m.apiVersion}/${m.kind}`];
      expect(() => new Model(m).validate(), `${m.kind} ${m.metadata?.name}`).not.toThrow();
    }
  });

  it("runs orchard serve non-root on a read-only root filesystem, ready on /ready, alive on /health", () => {
    const pod = kind(run, "Deployment").inputs.spec.template.spec;
    const [c] = pod.containers;
    expect(pod.containers).toHaveLength(1);
    expect(c.image).toBe(SERVING.image);
    expect(c.args).toEqual(SERVE_ARGS);
    expect(c.ports).toEqual([{ name: "http", containerPort: SERVE_PORT, protocol: "TCP" }]);
    expect(c.readinessProbe.httpGet).toEqual({ path: "/ready", port: "http" });
    expect(c.livenessProbe.httpGet).toEqual({ path: "/health", port: "http" });
    expect(c.resources.requests).toEqual({ cpu: "500m", memory: "512Mi" });
    expect(c.resources.limits).toEqual({ cpu: "500m", memory: "512Mi" });
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: RUN_AS_USER,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    // The only writable path is /tmp, an emptyDir.
    const tmp = pod.volumes.find((v: { name: string }) => v.name === "tmp");
    expect(tmp.emptyDir).toBeDefined();
    expect(c.volumeMounts.filter((m: { readOnly?: boolean }) => !m.readOnly)).toEqual([
      { name: "tmp", mountPath: "/tmp" },
    ]);
  });

  it("wires the objects to each other by name and label", () => {
    const sa = kind(run, "ServiceAccount").inputs;
    const cm = kind(run, "ConfigMap").inputs;
    const dep = kind(run, "Deployment").inputs;
    const svc = kind(run, "Service").inputs;
    const hpa = kind(run, "HorizontalPodAutoscaler").inputs;
    const pdb = kind(run, "PodDisruptionBudget").inputs;
    const ns = kind(run, "Namespace").inputs.metadata.name;
    for (const m of [sa, cm, dep, svc, hpa, pdb]) expect(m.metadata.namespace).toBe(ns);
    const pod = dep.spec.template;
    expect(dep.spec.selector.matchLabels).toEqual(pod.metadata.labels);
    expect(svc.spec.selector).toEqual(pod.metadata.labels);
    expect(pdb.spec.selector.matchLabels).toEqual(pod.metadata.labels);
    expect(svc.spec.ports[0].targetPort).toBe(pod.spec.containers[0].ports[0].name);
    expect(pod.spec.serviceAccountName).toBe(sa.metadata.name);
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: dep.metadata.name,
    });
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([2, 8]);
    expect(dep.spec.replicas).toBeUndefined();
    for (const e of pod.spec.containers[0].env) {
      expect(e.valueFrom.configMapKeyRef.name).toBe(cm.metadata.name);
      expect(Object.keys(cm.data)).toContain(e.valueFrom.configMapKeyRef.key);
    }
    expect(pod.spec.volumes.find((v: { name: string }) => v.name === "spec").configMap.name).toBe(
      cm.metadata.name,
    );
  });

  it("names the registry, the buckets and the spec in the ConfigMap", () => {
    const data = kind(run, "ConfigMap").inputs.data;
    const table = (suffix: string) => run.one("aws:dynamodb/table:Table", suffix).state.name;
    expect(data[STORAGE_ENV.registryTable]).toBe(table("registry-table"));
    for (const key of Object.values(STORAGE_ENV).filter((k) => !k.endsWith("ENDPOINT"))) {
      expect(data[key], key).toMatch(/^orchard-/);
    }
    expect(data.ORCHARD_PIPELINE).toBe("penguins");
    expect(data["pipeline.yaml"]).toBe(
      readFileSync(path.join(PROJECT_ROOT, "examples/penguins/pipeline.yaml"), "utf8"),
    );
  });

  it("gives the service account an IAM role only it can assume, reading what predict reads", () => {
    const sa = kind(run, "ServiceAccount").inputs;
    const role = run.one("aws:iam/role:Role", "k8s-penguins-role");
    expect(sa.metadata.annotations["eks.amazonaws.com/role-arn"]).toBe(role.state.arn);
    const trust = JSON.parse(role.inputs.assumeRolePolicy);
    const issuer = SERVING.oidcProviderArn.split("oidc-provider/")[1];
    expect(trust.Statement).toEqual([
      expect.objectContaining({
        Principal: { Federated: SERVING.oidcProviderArn },
        Action: ["sts:AssumeRoleWithWebIdentity"],
        Condition: {
          StringEquals: {
            [`${issuer}:sub`]: `system:serviceaccount:orchard:${sa.metadata.name}`,
            [`${issuer}:aud`]: "sts.amazonaws.com",
          },
        },
      }),
    ]);
    const policy = JSON.parse(
      run.one("aws:iam/rolePolicy:RolePolicy", "k8s-penguins-role-policy").inputs.policy,
    );
    const allowed = policy.Statement.filter(
      (s: { Effect: string }) => s.Effect === "Allow",
    ).flatMap((s: { Action: string | string[] }) => [s.Action].flat());
    expect(allowed).toContain("dynamodb:GetItem");
    expect(allowed).toContain("s3:GetObject");
    expect(
      allowed.filter((a: string) => /Delete|Update|Write/.test(a) && !a.startsWith("logs:")),
    ).toEqual([]);
    // Its only writes: prediction capture batches and POST /feedback labels (issue 19).
    const writes = policy.Statement.filter(
      (s: { Effect: string; Action: string | string[] }) =>
        s.Effect === "Allow" && [s.Action].flat().includes("s3:PutObject"),
    ).flatMap((s: { Resource: string | string[] }) => [s.Resource].flat());
    expect(writes.map((r: string) => r.replace(/^.*?:::[^/]+\//, "")).sort()).toEqual([
      "penguins/capture/*",
      "penguins/labels/*",
    ]);
  });
});

describe("serving config", () => {
  it("declares no Kubernetes objects without it", async () => {
    const run = await runStack("staging");
    expect(kubernetesOf(run)).toEqual([]);
  }, 60_000);

  it.each<[string, unknown, string]>([
    ["an unknown target", { target: "ecs" }, "orchard:serving.target"],
    ["no image", { ...SERVING, image: undefined }, "orchard:serving.image"],
    [
      "a bad OIDC provider",
      { ...SERVING, oidcProviderArn: "oidc.eks.amazonaws.com" },
      "orchard:serving.oidcProviderArn",
    ],
    ["a bad namespace", { ...SERVING, namespace: "Orchard_NS" }, "orchard:serving.namespace"],
    ["min above max", { ...SERVING, replicas: { min: 5, max: 2 } }, "orchard:serving.replicas.max"],
    [
      "a bad memory",
      { ...SERVING, resources: { memory: "512MB" } },
      "orchard:serving.resources.memory",
    ],
    ["an unknown key", { ...SERVING, replica: 3 }, "orchard:serving.replica"],
    ["lambda with extras", { target: "lambda", image: "x" }, "orchard:serving.image"],
  ])("refuses %s, naming the key", (_, raw, key) => {
    expect(() => parseServing(raw)).toThrow(
      expect.objectContaining({ name: "InfraConfigError", location: { path: key } }),
    );
  });

  it("defaults to the Lambda", () => {
    expect(parseServing(undefined)).toEqual({ target: "lambda" });
  });

  it("the Kubernetes models reject a broken manifest (the validator can fail)", () => {
    const broken = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "x" },
      spec: { selector: {}, template: { spec: { containers: [{ image: "x" }] } } },
    };
    expect(() => new Deployment(broken as never).validate()).toThrow(/name/);
  });
});
