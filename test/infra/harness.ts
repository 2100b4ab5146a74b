/**
 * Runs the real Pulumi program (infra/index.ts) against `pulumi.runtime.setMocks` with a
 * stack's real config file, and captures every resource it declares.
 *
 *   const run = await runStack("prod");                         // stacks/Pulumi.prod.yaml
 *   const run = await runStack("staging", { config: { "orchard:alarmEmail": "a@b.io" } });
 *   run.resources       CapturedResource[], in declaration order
 *   run.ofType(token)   those of one type token, e.g. "aws:s3/bucket:Bucket"
 *   run.one(token, n)   the one resource of that type whose name ends with `n`
 *   run.outputs         the stack outputs, resolved (what `pulumi stack output --json` shows)
 *
 * A CapturedResource has `type`, `name`, `custom` (false for components), `inputs` (resolved,
 * as the provider would receive them), `state` (inputs plus the fake outputs the mock
 * invents: ARNs, names, ids), `parent` ({ type, name } or undefined for the stack), `protect`
 * (effective: its own option or inherited from its parent) and `options` (its own protect,
 * retainOnDelete, ignoreChanges and dependsOn names). Policy rules can run over
 * `run.resources` directly (`validateResource` takes type + inputs as `props`).
 *
 * The program runs inside `runInPulumiStack`, as the Pulumi language host runs it; a stack
 * transformation records each resource's options, the mock records its resolved inputs.
 * Lambda code comes from a temp `orchard:codeDir` holding one-line bundles, so no build is
 * needed. Fake account 123456789012.
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { vi } from "vitest";
import { type ConfigValues, PROJECT_ROOT } from "../../infra/config.ts";
import { BUNDLE_OF } from "../../infra/pipeline-step.ts";
import { readStackFile } from "../../infra/stack-file.ts";

export const ACCOUNT_ID = "123456789012";

export interface CapturedResource {
  type: string;
  name: string;
  custom: boolean;
  // biome-ignore lint/suspicious/noExplicitAny: provider inputs are untyped JSON
  inputs: Record<string, any>;
  // biome-ignore lint/suspicious/noExplicitAny: provider state is untyped JSON
  state: Record<string, any>;
  parent?: { type: string; name: string };
  protect: boolean;
  options: {
    protect?: boolean;
    retainOnDelete?: boolean;
    ignoreChanges?: string[];
    dependsOn: string[];
  };
}

export interface StackRun {
  stack: string;
  region: string;
  resources: CapturedResource[];
  // biome-ignore lint/suspicious/noExplicitAny: stack outputs are untyped JSON
  outputs: Record<string, any>;
  ofType(type: string): CapturedResource[];
  one(type: string, nameSuffix: string): CapturedResource;
}

export interface RunOptions {
  /** Overrides of the stack file's config; `undefined` removes a key. */
  config?: Record<string, string | undefined>;
}

let codeDir: string | undefined;

/** A directory of one-line bundles shaped like `npm run build:lambdas` output. */
function fakeCodeDir(): string {
  if (codeDir) return codeDir;
  codeDir = mkdtempSync(path.join(tmpdir(), "orchard-bundles-"));
  for (const bundle of Object.values(BUNDLE_OF)) {
    mkdirSync(path.join(codeDir, bundle));
    writeFileSync(
      path.join(codeDir, bundle, "index.mjs"),
      "export const handler = async () => null;\n",
    );
  }
  return codeDir;
}

const short = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 7);

/** Auto-naming as Pulumi does it: the logical name plus a random (here: stable) suffix. */
function physicalName(name: string, inputs: Record<string, unknown>): string {
  if (typeof inputs.name === "string") return inputs.name;
  if (typeof inputs.namePrefix === "string") return `${inputs.namePrefix}${short(name)}`;
  return `${name}-${short(name)}`;
}

function fakeOutputs(
  type: string,
  name: string,
  // biome-ignore lint/suspicious/noExplicitAny: mock inputs are untyped JSON
  inputs: any,
  region: string,
): Record<string, unknown> {
  const n = physicalName(name, inputs);
  const at = `${region}:${ACCOUNT_ID}`;
  switch (type) {
    case "aws:s3/bucket:Bucket": {
      const bucket = n.toLowerCase();
      return { id: bucket, bucket, arn: `arn:aws:s3:::${bucket}` };
    }
    case "aws:kms/key:Key": {
      const id = `${short(name)}-0000-4000-8000-${short(`${name}k`)}00000`;
      return { id, keyId: id, arn: `arn:aws:kms:${at}:key/${id}` };
    }
    case "aws:dynamodb/table:Table":
      return { id: n, name: n, arn: `arn:aws:dynamodb:${at}:table/${n}` };
    case "aws:sns/topic:Topic":
      return { id: `arn:aws:sns:${at}:${n}`, name: n, arn: `arn:aws:sns:${at}:${n}` };
    case "aws:lambda/function:Function": {
      const arn = `arn:aws:lambda:${at}:function:${n}`;
      return { id: n, name: n, arn, version: "1", qualifiedArn: `${arn}:1`, invokeArn: arn };
    }
    case "aws:lambda/alias:Alias":
      return { arn: `arn:aws:lambda:${at}:function:${inputs.functionName}:${inputs.name}` };
    case "aws:lambda/functionUrl:FunctionUrl":
      return {
        functionUrl: `https://${short(name)}${short(`${name}u`)}.lambda-url.${region}.on.aws/`,
      };
    case "aws:iam/role:Role":
      return { id: n, name: n, arn: `arn:aws:iam::${ACCOUNT_ID}:role/${n}` };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { id: n, name: n, arn: `arn:aws:logs:${at}:log-group:${n}` };
    case "aws:sfn/stateMachine:StateMachine":
      return { id: n, name: n, arn: `arn:aws:states:${at}:stateMachine:${n}` };
    case "aws:ecs/cluster:Cluster":
      return { id: n, name: n, arn: `arn:aws:ecs:${at}:cluster/${n}` };
    case "aws:ecs/taskDefinition:TaskDefinition":
      return { id: n, arn: `arn:aws:ecs:${at}:task-definition/${inputs.family}:1`, revision: 1 };
    case "aws:scheduler/schedule:Schedule":
      return { id: n, name: n, arn: `arn:aws:scheduler:${at}:schedule/default/${n}` };
    default:
      return { id: `${n}-id`, name: n };
  }
}

export async function runStack(stack: string, options: RunOptions = {}): Promise<StackRun> {
  const values: ConfigValues = {
    ...readStackFile(PROJECT_ROOT, stack),
    "orchard:codeDir": fakeCodeDir(),
  };
  for (const [key, value] of Object.entries(options.config ?? {})) {
    if (value === undefined) delete values[key];
    else values[key] = value;
  }
  const region = values["aws:region"] ?? "us-east-1";
  const seen = new Map<
    string,
    { inputs: Record<string, unknown>; state: Record<string, unknown>; custom: boolean }
  >();

  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const fake = fakeOutputs(args.type, args.name, args.inputs, region);
        const state = { ...args.inputs, ...fake };
        seen.set(`${args.type}::${args.name}`, {
          inputs: args.inputs,
          state,
          custom: args.custom ?? true,
        });
        return { id: String(fake.id ?? `${args.name}-id`), state };
      },
      call(args) {
        if (args.token === "aws:index/getCallerIdentity:getCallerIdentity") {
          return {
            accountId: ACCOUNT_ID,
            arn: `arn:aws:iam::${ACCOUNT_ID}:user/deployer`,
            userId: "AIDEPLOYER",
          };
        }
        return args.inputs;
      },
    },
    "orchard",
    stack,
  );
  pulumi.runtime.setAllConfig(values as Record<string, string>);
  vi.resetModules();

  interface Seen {
    type: string;
    name: string;
    resource: pulumi.Resource;
    opts: pulumi.CustomResourceOptions;
  }
  const declared: Seen[] = [];
  const outputs = await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((t) => {
      declared.push({
        type: t.type,
        name: t.name,
        resource: t.resource,
        opts: t.opts as pulumi.CustomResourceOptions,
      });
      return undefined;
    });
    return { ...(await import("../../infra/index.ts")) };
  });
  await Promise.all(declared.map((d) => new Promise((resolve) => d.resource.urn.apply(resolve))));
  // Let the last registrations (the stack's outputs) reach this run's mock monitor before the
  // next run replaces it.
  await pulumi.runtime.disconnect();

  const byResource = new Map(declared.map((d) => [d.resource, d]));
  const effectiveProtect = (d: Seen | undefined): boolean => {
    if (!d) return false;
    if (d.opts.protect !== undefined) return d.opts.protect;
    return effectiveProtect(d.opts.parent ? byResource.get(d.opts.parent) : undefined);
  };
  const resources = declared.map((d): CapturedResource => {
    const registered = seen.get(`${d.type}::${d.name}`);
    if (!registered)
      throw new Error(`harness: ${d.type} ${d.name} was declared but never registered`);
    const parent = d.opts.parent ? byResource.get(d.opts.parent) : undefined;
    const dependsOn = [d.opts.dependsOn ?? []].flat() as pulumi.Resource[];
    return {
      type: d.type,
      name: d.name,
      custom: registered.custom,
      inputs: registered.inputs,
      state: registered.state,
      ...(parent ? { parent: { type: parent.type, name: parent.name } } : {}),
      protect: effectiveProtect(d),
      options: {
        ...(d.opts.protect !== undefined ? { protect: d.opts.protect } : {}),
        ...(d.opts.retainOnDelete !== undefined ? { retainOnDelete: d.opts.retainOnDelete } : {}),
        ...(d.opts.ignoreChanges ? { ignoreChanges: d.opts.ignoreChanges } : {}),
        dependsOn: dependsOn.map((r) => byResource.get(r)?.name ?? "?"),
      },
    };
  });
  return {
    stack,
    region,
    resources,
    outputs: (outputs ?? {}) as Record<string, unknown>,
    ofType: (type) => resources.filter((r) => r.type === type),
    one(type, suffix) {
      const found = resources.filter((r) => r.type === type && r.name.endsWith(suffix));
      if (found.length !== 1) {
        throw new Error(`harness: ${found.length} resources of ${type} end with "${suffix}"`);
      }
      return found[0];
    },
  };
}
