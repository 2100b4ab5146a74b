/**
 * Node module hooks (module.register) that load a user's TypeScript files: their Pulumi
 * program, their tests' helpers, a `features.transform` module. esbuild strips the types
 * (no type check: `tsc --noEmit` in their repository does that), one file at a time, so
 * `import.meta.url` stays the file's own and every package in node_modules is loaded by Node
 * itself: the user's program and Orchard's CLI share one `@pulumi/pulumi`, which is what
 * makes Pulumi's mocks apply to it. Only files outside node_modules are transformed.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { transform } from "esbuild";

interface ResolveContext {
  parentURL?: string;
  conditions: string[];
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string }>;
interface LoadContext {
  format?: string | null;
}
interface LoadResult {
  format: string;
  source?: string | ArrayBuffer | Uint8Array;
  shortCircuit?: boolean;
}
type NextLoad = (url: string, context: LoadContext) => Promise<LoadResult>;

const TS_FILE = /\.(m|c)?tsx?$/;

function isUserTs(url: string): boolean {
  if (!url.startsWith("file:")) return false;
  const path = url.split("?")[0];
  return TS_FILE.test(path) && !path.includes("/node_modules/");
}

/** `./x` and `./x.js` from a TypeScript file may name `./x.ts` (TypeScript's own rules). */
export async function resolve(
  specifier: string,
  context: ResolveContext,
  next: NextResolve,
): Promise<{ url: string }> {
  try {
    return await next(specifier, context);
  } catch (err) {
    const relative = specifier.startsWith("./") || specifier.startsWith("../");
    if (!relative || !context.parentURL || !isUserTs(context.parentURL)) throw err;
    const stem = specifier.replace(/\.js$/, "");
    for (const candidate of [`${stem}.ts`, `${stem}/index.ts`]) {
      try {
        return await next(candidate, context);
      } catch {
        // try the next form
      }
    }
    throw err;
  }
}

export async function load(url: string, context: LoadContext, next: NextLoad): Promise<LoadResult> {
  if (!isUserTs(url)) return next(url, context);
  const file = fileURLToPath(url.split("?")[0]);
  const { code } = await transform(await readFile(file, "utf8"), {
    loader: file.endsWith("x") ? "tsx" : "ts",
    format: "esm",
    platform: "node",
    target: "node20",
    sourcefile: file,
    sourcemap: "inline",
  });
  return { format: "module", source: code, shortCircuit: true };
}
