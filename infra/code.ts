/**
 * Where the Lambda code comes from. `pulumi up` deploys the esbuild bundles that
 * `npm run build:lambdas` writes to `dist/lambdas/<bundle>/` (`orchard:codeDir`); the program
 * takes a `LambdaCode` function rather than reading dist/ itself, so the mock runs point it at
 * a directory of one-line bundles and never need a build.
 *
 * Each bundle also gets a version, a hash of its files, which the step functions receive as
 * ORCHARD_CODE_VERSION: it is part of every step cache key (pipeline/steps/cache.ts), so a
 * deployment that changes a step's code never reuses that step's cached outputs.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { DeployInputError } from "./errors.ts";

export interface BundleCode {
  archive: pulumi.asset.Archive;
  /** `bundle-<16 hex of the sha256 over the bundle's files, by path and content>`. */
  version: string;
}

/** The code of one bundle (`ingest`, `notify-failure`, `predict`, …). */
export type LambdaCode = (bundle: string) => BundleCode;

/** Each bundle's directory under `codeDir`, checked to exist up front. */
export function bundleCode(codeDir: string, bundles: readonly string[]): LambdaCode {
  const missing = bundles.filter((b) => !existsSync(path.join(codeDir, b, "index.mjs")));
  if (missing.length > 0) {
    throw new DeployInputError(
      `no Lambda bundle for ${missing.join(", ")} under ${codeDir} (config orchard:codeDir): run \`npm run build:lambdas\` before \`pulumi up\``,
      { file: codeDir, path: "orchard:codeDir" },
    );
  }
  return (bundle) => {
    const dir = path.join(codeDir, bundle);
    return { archive: new pulumi.asset.FileArchive(dir), version: bundleVersion(dir) };
  };
}

/** The hash of every file below `dir` (relative path and bytes, in path order). */
export function bundleVersion(dir: string): string {
  const hash = createHash("sha256");
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => statSync(path.join(dir, name)).isFile())
    .map((name) => name.split(path.sep).join("/"))
    .sort();
  for (const name of files) {
    hash
      .update(name)
      .update("\0")
      .update(readFileSync(path.join(dir, name)))
      .update("\0");
  }
  return `bundle-${hash.digest("hex").slice(0, 16)}`;
}
