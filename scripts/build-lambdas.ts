/**
 * `npm run build:lambdas`: one esbuild bundle per step handler, `dist/lambdas/<name>/index.mjs`
 * (Lambda handler `index.handler`, runtime nodejs22.x, arm64), plus `dist/lambdas/manifest.json`
 * with each bundle's files, sizes and sha256. Each `<name>/` directory is what a function's
 * code archive holds; nothing outside it is needed at run time.
 *
 * Choices a reader should know:
 * - The AWS SDK is BUNDLED, not left to the runtime. The Node.js 22 runtime does ship SDK v3
 *   clients (and, in current images, lib-dynamodb and lib-storage), but at a version AWS picks
 *   per region and runtime release, and AWS advises against relying on it in production.
 *   Orchard depends on SDK behaviour that needs a recent version (S3 `WHEN_REQUIRED` checksums,
 *   see lambdas/io/clients.ts), and bundling only lib-* over runtime client-* would mix two
 *   @smithy versions in one client. Bundled, the code that runs in Lambda is byte for byte the
 *   code tested here, and the manifest hash covers all of it. Cost: 1.3–1.5 MB per bundle
 *   (~0.15 MB of it Powertools' Logger, Metrics and Tracer with aws-xray-sdk-core; before
 *   them ~0.35 MB gzipped, ~0.8 MB for a zipped directory with its source map), far inside
 *   Lambda's limits. To use the runtime's SDK instead, add `external: ["@aws-sdk/*",
 *   "@smithy/*"]` below and accept the version skew.
 * - `keepNames`: Step Functions Retry/Catch match on error names, which are class names
 *   (`this.name = new.target.name`), so minification must not rename classes.
 * - ESM output with a `createRequire` banner: bundled CommonJS code (the SDK's, yaml's, …)
 *   calls `require("node:fs")` and friends, which an ES module lacks ("Dynamic require of …
 *   is not supported" at import time without it).
 * - `mainFields: module, main`: ES builds of dual packages tree-shake better (~20% smaller).
 * - Forest workers: a bundle that contains pipeline/forest/worker-pool.ts gets the forest
 *   worker as a second entry, `forest-worker.js`, next to `index.mjs` (the name worker-pool.ts
 *   looks for), and every bundle directory gets a `package.json` with `"type": "module"` so
 *   that `.js` file loads as ESM without relying on Node's module-syntax detection. With
 *   ORCHARD_WORKERS unset (the Lambda default) training stays in-thread and the worker file
 *   is never loaded; with ORCHARD_WORKERS=2+ (worth it only at >= 3,538 MB, two vCPUs) the
 *   bundle starts it.
 * - Source maps are linked, without source text; Lambda uses them for stack traces only with
 *   NODE_OPTIONS=--enable-source-maps (set it in the function's environment).
 * - Row transforms (`features.transform`, pipeline/derived/transform.ts): given `transforms`,
 *   every bundle whose handler reaches the transform registry is rebuilt from a generated entry
 *   that imports each user module and registers it under its pipeline and the sha256 of its
 *   source, then re-exports the handler. Bundles that never run a pipeline's rows (notify-failure,
 *   …) and every bundle built without transforms keep their bytes.
 * - Deterministic: the same sources give the same bytes in any output directory. Source map
 *   `sources` are rewritten to repo-relative paths and carry no source text; the manifest has
 *   sorted keys and no timestamps.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type BuildOptions, build, type OutputFile, type Plugin } from "esbuild";
import { BUNDLES, type BundleName } from "../lambdas/bundles.ts";
import { BUNDLED_WORKER_FILE } from "../pipeline/forest/worker-pool.ts";

/** Every deployable handler: `lambdas/<name>.ts`, exporting `handler` (lambdas/bundles.ts). */
export const LAMBDA_HANDLERS = BUNDLES;

export type LambdaName = BundleName;

export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
/** `.ts` in a checkout; `.js` when this runs compiled, from the orchard-ml package's lib/. */
const SOURCE_EXT = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
export const DEFAULT_OUT_DIR = join(REPO_ROOT, "dist", "lambdas");
export const BUNDLE_FILE = "index.mjs";
export const MANIFEST_FILE = "manifest.json";

const WORKER_SOURCE = `pipeline/forest/worker${SOURCE_EXT}`;
const TRANSFORM_REGISTRY = `pipeline/derived/transform${SOURCE_EXT}`;
const ENTRY_NAMESPACE = "orchard-entry";
const WORKER_POOL_SOURCE = `pipeline/forest/worker-pool${SOURCE_EXT}`;

export interface BuildLambdasOptions {
  /** Default `<repo>/dist/lambdas`. Each `<name>/` directory in it is replaced. */
  outDir?: string;
  /** Default: all of LAMBDA_HANDLERS. */
  handlers?: readonly LambdaName[];
  /** The pipelines' row transforms (`features.transform`) to bundle. Default none. */
  transforms?: readonly BundledTransform[];
}

export interface BundledTransform {
  /** The pipeline whose spec names the module. */
  pipeline: string;
  /** As the spec writes it, e.g. `./features.ts` (shown in messages). */
  module: string;
  /** The module's absolute path. */
  file: string;
}

/** The generated entry of a bundle with transforms: register each, then the handler. */
function entrySource(name: string, transforms: readonly BundledTransform[]): string {
  const lines = [`import { registerTransform } from ${JSON.stringify(`./${TRANSFORM_REGISTRY}`)};`];
  transforms.forEach((t, i) => {
    const sha256 = createHash("sha256").update(readFileSync(t.file)).digest("hex");
    lines.push(
      `import * as transform${i} from ${JSON.stringify(t.file)};`,
      `registerTransform(${JSON.stringify(t.pipeline)}, { module: ${JSON.stringify(t.module)}, sha256: ${JSON.stringify(sha256)}, transform: transform${i}.transform });`,
    );
  });
  lines.push(`export { handler } from ${JSON.stringify(`./lambdas/${name}${SOURCE_EXT}`)};`);
  return `${lines.join("\n")}\n`;
}

function entryPlugin(transforms: readonly BundledTransform[]): Plugin {
  return {
    name: "orchard-transform-entries",
    setup(b) {
      b.onResolve({ filter: new RegExp(`^${ENTRY_NAMESPACE}:`) }, (args) => ({
        path: args.path.slice(ENTRY_NAMESPACE.length + 1),
        namespace: ENTRY_NAMESPACE,
      }));
      b.onLoad({ filter: /.*/, namespace: ENTRY_NAMESPACE }, (args) => ({
        contents: entrySource(args.path, transforms),
        resolveDir: REPO_ROOT,
        loader: "ts",
      }));
    },
  };
}

export interface FileDigest {
  sha256: string;
  size: number;
}

export interface LambdaBundle extends FileDigest {
  /** The bundle, relative to the manifest: `<name>/index.mjs`. `sha256`/`size` are its own. */
  file: string;
  /** The Lambda `handler` setting. */
  handler: "index.handler";
  /** Every file of the function's directory (bundle, source maps, worker, package.json). */
  files: Record<string, FileDigest>;
}

export interface LambdaManifest {
  runtime: "nodejs22.x";
  architecture: "arm64";
  bundles: Record<string, LambdaBundle>;
}

const ESM_REQUIRE_BANNER =
  'import { createRequire as __orchardCreateRequire } from "node:module"; ' +
  "const require = __orchardCreateRequire(import.meta.url);";

const COMMON = {
  absWorkingDir: REPO_ROOT,
  bundle: true,
  platform: "node",
  target: "node22",
  format: "esm",
  mainFields: ["module", "main"],
  minify: true,
  keepNames: true,
  sourcemap: "linked",
  sourcesContent: false,
  legalComments: "eof",
  banner: { js: ESM_REQUIRE_BANNER },
  metafile: true,
  write: false,
  logLevel: "warning",
} satisfies BuildOptions;

const PACKAGE_JSON = `${JSON.stringify({ type: "module" }, null, 2)}\n`;

function digest(bytes: Uint8Array): FileDigest {
  return { sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.byteLength };
}

/** Source map `sources` relative to the repo instead of to the output directory. */
function portableSourceMap(file: OutputFile): Uint8Array {
  const map = JSON.parse(file.text) as { sources: string[] };
  const from = dirname(file.path);
  map.sources = map.sources.map((s) => relative(REPO_ROOT, resolve(from, s)).replaceAll("\\", "/"));
  return new TextEncoder().encode(JSON.stringify(map));
}

type BuildResult = Awaited<ReturnType<typeof build<typeof COMMON>>>;

/** The names whose handler reaches the transform registry (readRaw, readModelRows). */
export function bundlesRunningRows(result: BuildResult, names: readonly string[], outDir: string) {
  return names.filter((name) => {
    const output = result.metafile.outputs[relative(REPO_ROOT, join(outDir, name, BUNDLE_FILE))];
    return output !== undefined && TRANSFORM_REGISTRY in output.inputs;
  });
}

/** The plain build with the bundles that run rows rebuilt from entries registering transforms. */
async function withTransforms(
  plain: BuildResult,
  names: readonly string[],
  outDir: string,
  transforms: readonly BundledTransform[],
): Promise<BuildResult> {
  if (transforms.length === 0) return plain;
  const rebuilt = bundlesRunningRows(plain, names, outDir);
  if (rebuilt.length === 0) return plain;
  const wrapped = await build({
    ...COMMON,
    entryPoints: rebuilt.map((name) => ({
      in: `${ENTRY_NAMESPACE}:${name}`,
      out: `${name}/index`,
    })),
    outdir: outDir,
    outExtension: { ".js": extname(BUNDLE_FILE) },
    plugins: [entryPlugin(transforms)],
  });
  const isRebuilt = (file: OutputFile) =>
    rebuilt.some((name) => relative(outDir, file.path).startsWith(`${name}/`));
  return {
    ...plain,
    outputFiles: [...plain.outputFiles.filter((f) => !isRebuilt(f)), ...wrapped.outputFiles],
    metafile: {
      inputs: { ...plain.metafile.inputs, ...wrapped.metafile.inputs },
      outputs: { ...plain.metafile.outputs, ...wrapped.metafile.outputs },
    },
  };
}

/** Builds the bundles into `outDir` and writes the manifest; returns the manifest. */
export async function buildLambdas(options: BuildLambdasOptions = {}): Promise<LambdaManifest> {
  const outDir = resolve(options.outDir ?? DEFAULT_OUT_DIR);
  const names = [...(options.handlers ?? LAMBDA_HANDLERS)].sort();

  const plain = await build({
    ...COMMON,
    entryPoints: names.map((name) => ({
      in: `lambdas/${name}${SOURCE_EXT}`,
      out: `${name}/index`,
    })),
    outdir: outDir,
    outExtension: { ".js": extname(BUNDLE_FILE) },
  });
  const handlers = await withTransforms(plain, names, outDir, options.transforms ?? []);
  const needWorker = names.filter((name) => {
    const output = handlers.metafile.outputs[relative(REPO_ROOT, join(outDir, name, BUNDLE_FILE))];
    if (!output) throw new Error(`esbuild produced no ${name}/${BUNDLE_FILE}`);
    return WORKER_POOL_SOURCE in output.inputs;
  });
  const workerStem = basename(BUNDLED_WORKER_FILE, extname(BUNDLED_WORKER_FILE));
  const workers =
    needWorker.length === 0
      ? { outputFiles: [] }
      : await build({
          ...COMMON,
          entryPoints: needWorker.map((name) => ({
            in: WORKER_SOURCE,
            out: `${name}/${workerStem}`,
          })),
          outdir: outDir,
          outExtension: { ".js": extname(BUNDLED_WORKER_FILE) },
        });

  const files = new Map<string, Uint8Array>();
  for (const file of [...handlers.outputFiles, ...workers.outputFiles]) {
    const path = relative(outDir, file.path).replaceAll("\\", "/");
    files.set(path, path.endsWith(".map") ? portableSourceMap(file) : file.contents);
  }
  for (const name of names) {
    files.set(`${name}/package.json`, new TextEncoder().encode(PACKAGE_JSON));
  }

  const bundles: Record<string, LambdaBundle> = {};
  for (const name of names) {
    const own = [...files.keys()].filter((p) => p.startsWith(`${name}/`)).sort();
    const file = `${name}/${BUNDLE_FILE}`;
    bundles[name] = {
      file,
      handler: "index.handler",
      ...digest(files.get(file)!),
      files: Object.fromEntries(own.map((p) => [p.slice(name.length + 1), digest(files.get(p)!)])),
    };
  }
  const manifest: LambdaManifest = { runtime: "nodejs22.x", architecture: "arm64", bundles };

  await mkdir(outDir, { recursive: true });
  await Promise.all(names.map((name) => rm(join(outDir, name), { recursive: true, force: true })));
  for (const [path, bytes] of files) {
    await mkdir(dirname(join(outDir, path)), { recursive: true });
    await writeFile(join(outDir, path), bytes);
  }
  await writeFile(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

async function main(): Promise<void> {
  const started = Date.now();
  // The row transforms of the pipelines this checkout's stacks deploy, as `orchard build` does.
  const { stackTransforms } = await import("../cli/build.ts");
  const manifest = await buildLambdas({ transforms: stackTransforms(REPO_ROOT) });
  const rel = relative(process.cwd(), DEFAULT_OUT_DIR) || ".";
  for (const b of Object.values(manifest.bundles)) {
    const extra = Object.keys(b.files).filter((f) => !f.endsWith(".map") && f !== BUNDLE_FILE);
    const kb = (b.size / 1024).toFixed(0).padStart(5);
    console.log(
      `${rel}/${b.file.padEnd(28)} ${kb} KiB  ${b.sha256.slice(0, 12)}  ${extra.join(" ")}`,
    );
  }
  console.log(`${Object.keys(manifest.bundles).length} bundles in ${Date.now() - started} ms`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
