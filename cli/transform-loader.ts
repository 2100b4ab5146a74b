/**
 * Loads a pipeline's row transform (`features.transform: ./features.ts`) into this process: the
 * module is imported in-process (TypeScript through the ts loader, or tsx in a checkout) and
 * registered for the pipeline's steps and the models trained with it (pipeline/derived/
 * transform.ts). Every command that reads a spec file does this (`loadSpecFile`), so
 * `orchard run`, `predict`, `serve` and batch scoring run the same code the Lambdas bundle.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { registerTransform } from "../pipeline/derived/transform.ts";
import { SpecError } from "../pipeline/errors.ts";
import type { PipelineSpec } from "../pipeline/spec/types.ts";
import { registerTypeScript } from "./ts-loader/register.ts";

/** The transform module's absolute path, resolved against the spec file's directory. */
export function transformFile(spec: PipelineSpec, specPath: string): string | null {
  const module = spec.features.transform;
  return module === null ? null : path.resolve(path.dirname(specPath), module);
}

export async function loadTransform(spec: PipelineSpec, specPath: string): Promise<void> {
  const file = transformFile(spec, specPath);
  const module = spec.features.transform;
  if (file === null || module === null) return;
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    throw new SpecError(
      `${specPath}: features.transform ${module} cannot be read (${(cause as NodeJS.ErrnoException).code ?? cause}): ${file} must exist, relative to the spec file.`,
      { file: specPath, path: "features.transform" },
      { cause },
    );
  }
  registerTypeScript();
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  let exported: Record<string, unknown>;
  try {
    // The source's hash in the URL: an edited module is imported afresh, not from the cache.
    exported = await import(`${pathToFileURL(file).href}?sha256=${sha256}`);
  } catch (cause) {
    throw new SpecError(
      `${specPath}: features.transform ${module} failed to load: ${(cause as Error).message ?? cause}; fix the module.`,
      { file: specPath, path: "features.transform" },
      { cause },
    );
  }
  registerTransform(spec.name, {
    module,
    sha256,
    transform: exported.transform as never,
  });
}
