/**
 * Runs a checkout's real Pulumi program (`<root>/infra/index.ts`) against
 * `pulumi.runtime.setMocks` with a stack's config file (`<root>/stacks/Pulumi.<stack>.yaml`)
 * and captures every resource it declares. `orchard synth`/`orchard diff` and the infra tests
 * (test/infra/harness.ts) share it.
 *
 *   const run = await runUnderMocks({ stack: "prod" });                 // this checkout
 *   const run = await runUnderMocks({ root: worktree, stack: "staging", config: { … } });
 *   run.resources       CapturedResource[], in declaration order
 *   run.ofType(token)   those of one type token, e.g. "aws:s3/bucket:Bucket"
 *   run.one(token, n)   the one resource of that type whose name ends with `n`
 *   run.outputs         the stack outputs, resolved (what `pulumi stack output --json` shows)
 *
 * A CapturedResource has `type`, `name`, `custom` (false for components), `inputs` (resolved,
 * as the provider would receive them; assets and archives stay `pulumi.asset` objects, secrets
 * stay wrapped in Pulumi's secret signature), `state` (inputs plus the fake outputs of
 * fake-outputs.ts), `parent` ({ type, name } or undefined for the stack), `protect`
 * (effective: its own option or inherited from its parent) and `options` (its own protect,
 * retainOnDelete, ignoreChanges and dependsOn names).
 *
 * How: the program runs inside `runInPulumiStack`, as the Pulumi language host runs it; a stack
 * transformation records each resource's options, the mock records its resolved inputs.
 * `orchard:codeDir` points at a temporary directory of one-line bundles (one per
 * `lambdas/*.ts` of the checkout and per known bundle), so no build is needed; the real code
 * is judged from its sources (code-sources.ts).
 *
 * Module freshness: the program's entry is a module with top-level effects, so each run must
 * evaluate it anew. By default it is imported with a unique query (`index.ts?orchard-synth=N`,
 * which tsx and vitest both treat as a new module; the modules it imports are shared, and they
 * hold no state); a caller can pass its own `importProgram` (the test harness resets vitest's
 * module graph instead). A checkout elsewhere on disk (a git worktree) whose `node_modules` is
 * a symlink to this one resolves `@pulumi/*` to the very same module instances, which is what
 * makes the mocks apply to it. Runs are serialized: the Pulumi runtime is process-global.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { BUNDLES } from "../../lambdas/bundles.ts";
import { type ConfigValues, PROJECT_ROOT } from "../config.ts";
import { readStackFile } from "../stack-file.ts";
import { SynthError } from "./errors.ts";
import { fakeCall, fakeOutputs } from "./fake-outputs.ts";
import { readProject } from "./project.ts";

export { ACCOUNT_ID } from "./fake-outputs.ts";

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
  /** The run's fake `orchard:codeDir` (already deleted): archives under it are bundles. */
  codeDir: string;
  ofType(type: string): CapturedResource[];
  one(type: string, nameSuffix: string): CapturedResource;
}

export type ProgramImporter = (entryFile: string) => Promise<Record<string, unknown>>;

export interface RunUnderMocksOptions {
  stack: string;
  /** The checkout to run: holds `infra/index.ts` and `stacks/`. Default: this one. */
  root?: string;
  /** Overrides of the stack file's config; `undefined` removes a key. */
  config?: Record<string, string | undefined>;
  /**
   * The stack's whole config instead of `stacks/Pulumi.<stack>.yaml`, for a stack that has no
   * file (the tests' grown stack, test/infra/grown-stack.ts).
   */
  stackValues?: ConfigValues;
  /** How to evaluate the program's entry file anew (see the file comment). */
  importProgram?: ProgramImporter;
}

let imports = 0;
const freshImport: ProgramImporter = (entryFile) =>
  import(`${pathToFileURL(entryFile).href}?orchard-synth=${++imports}`);

/** Names of the bundles a checkout can deploy: `lambdas/<name>.ts`, plus the known ones. */
function bundleNames(root: string): string[] {
  const names = new Set<string>(BUNDLES);
  try {
    for (const file of readdirSync(path.join(root, "lambdas"))) {
      if (file.endsWith(".ts")) names.add(file.slice(0, -3));
    }
  } catch {
    // No lambdas/ directory: the program will say which bundle it misses.
  }
  return [...names].sort();
}

/** A directory of one-line bundles shaped like `npm run build:lambdas` output. */
function fakeCodeDir(root: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "orchard-bundles-"));
  for (const bundle of bundleNames(root)) {
    mkdirSync(path.join(dir, bundle));
    // Named, so each bundle gets its own (stand-in) ORCHARD_CODE_VERSION as it would deployed.
    writeFileSync(
      path.join(dir, bundle, "index.mjs"),
      `// ${bundle}\nexport const handler = async () => null;\n`,
    );
  }
  return dir;
}

let queue: Promise<unknown> = Promise.resolve();

/** Runs the program of `root` for `stack` under the mocks; one run at a time per process. */
export function runUnderMocks(options: RunUnderMocksOptions): Promise<StackRun> {
  const run = queue.then(() => runOnce(options));
  queue = run.catch(() => undefined);
  return run;
}

async function runOnce(options: RunUnderMocksOptions): Promise<StackRun> {
  const root = path.resolve(options.root ?? PROJECT_ROOT);
  const codeDir = fakeCodeDir(root);
  try {
    return await capture(root, codeDir, options);
  } finally {
    rmSync(codeDir, { recursive: true, force: true });
  }
}

interface Declared {
  type: string;
  name: string;
  resource: pulumi.Resource;
  opts: pulumi.CustomResourceOptions;
}

interface Registered {
  inputs: Record<string, unknown>;
  state: Record<string, unknown>;
  custom: boolean;
}

async function capture(
  root: string,
  codeDir: string,
  options: RunUnderMocksOptions,
): Promise<StackRun> {
  const { stack } = options;
  const project = readProject(root);
  const values: ConfigValues = {
    ...(options.stackValues ?? readStackFile(root, stack, project.stackConfigDir)),
    "orchard:codeDir": codeDir,
  };
  for (const [key, value] of Object.entries(options.config ?? {})) {
    if (value === undefined) delete values[key];
    else values[key] = value;
  }
  const region = values["aws:region"] ?? "us-east-1";
  const seen = new Map<string, Registered>();

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
      call: (args) => fakeCall(args.token, args.inputs),
    },
    project.name,
    stack,
  );
  pulumi.runtime.setAllConfig(values as Record<string, string>);

  const entry = project.main;
  const importProgram = options.importProgram ?? freshImport;
  const declared: Declared[] = [];
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
    return { ...(await importProgram(entry)) };
  });
  await Promise.all(declared.map((d) => new Promise((resolve) => d.resource.urn.apply(resolve))));
  // Let the last registrations (the stack's outputs) reach this run's mock monitor before the
  // next run replaces it.
  await pulumi.runtime.disconnect();

  const resources = toCaptured(declared, seen);
  return {
    stack,
    region,
    resources,
    outputs: (outputs ?? {}) as Record<string, unknown>,
    codeDir,
    ofType: (type) => resources.filter((r) => r.type === type),
    one(type, suffix) {
      const found = resources.filter((r) => r.type === type && r.name.endsWith(suffix));
      if (found.length !== 1) {
        throw new SynthError(`${found.length} resources of ${type} end with "${suffix}"`);
      }
      return found[0];
    },
  };
}

function toCaptured(declared: Declared[], seen: Map<string, Registered>): CapturedResource[] {
  const byResource = new Map(declared.map((d) => [d.resource, d]));
  const effectiveProtect = (d: Declared | undefined): boolean => {
    if (!d) return false;
    if (d.opts.protect !== undefined) return d.opts.protect;
    return effectiveProtect(d.opts.parent ? byResource.get(d.opts.parent) : undefined);
  };
  return declared.map((d): CapturedResource => {
    const registered = seen.get(`${d.type}::${d.name}`);
    if (!registered) {
      throw new SynthError(
        `${d.type} ${d.name} was declared but never registered with the mocks; is it created inside an .apply()?`,
      );
    }
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
}
