/**
 * Where the Lambda code comes from. `pulumi up` deploys the esbuild bundles that
 * `npm run build:lambdas` writes to `dist/lambdas/<bundle>/` (`orchard:codeDir`); the program
 * takes a `LambdaCode` function rather than reading dist/ itself, so the mock tests pass a
 * tiny in-memory archive and never need a build.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { DeployInputError } from "./errors.ts";

/** The code archive of one bundle (`ingest`, `notify-failure`, `predict`, …). */
export type LambdaCode = (bundle: string) => pulumi.asset.Archive;

/** Each bundle's directory under `codeDir`, checked to exist up front. */
export function bundleCode(codeDir: string, bundles: readonly string[]): LambdaCode {
  const missing = bundles.filter((b) => !existsSync(path.join(codeDir, b, "index.mjs")));
  if (missing.length > 0) {
    throw new DeployInputError(
      `no Lambda bundle for ${missing.join(", ")} under ${codeDir} (config orchard:codeDir): run \`npm run build:lambdas\` before \`pulumi up\``,
      { file: codeDir, path: "orchard:codeDir" },
    );
  }
  return (bundle) => new pulumi.asset.FileArchive(path.join(codeDir, bundle));
}
