/**
 * `orchard predict <spec.yaml> --input s3://bucket/prefix/` (or a local directory, as
 * `file:///dir/`): the batch scoring step run from the CLI. With the ORCHARD_* storage variables set it scores in the cloud stack's S3 with its
 * registry's champion; otherwise in the embedded S3 of the local state directory (upload
 * files there first, e.g. through `orchard run`'s services). Prints one JSON line per scored
 * file, `{"input","output","rows"}`, then `{"modelVersion","fileCount","rowCount"}`.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { batchObjectsFor } from "../lambdas/batch-score.ts";
import { runAs } from "../lambdas/io/caller.ts";
import { STORAGE_ENV } from "../lambdas/io/env.ts";
import { NoChampionError } from "../lambdas/predict.ts";
import { stepDeps } from "../lambdas/step-handler.ts";
import { type BatchScoreOutput, batchScore } from "../pipeline/steps/batch-score.ts";
import { DEFAULT_STATE_DIR, loadSpecFile, withLocalStores } from "./local/run-pipeline.ts";
import { noChampionError } from "./predict.ts";

export interface PredictBatchOptions {
  specPath: string;
  inputUri: string;
  stateDir?: string;
  /** A registered version to score with instead of the champion. */
  version?: string;
  /** The time view features' TTL is judged at (online lookup). Default: now. */
  now?: () => Date;
}

export async function predictBatch(options: PredictBatchOptions): Promise<BatchScoreOutput> {
  const { spec } = await loadSpecFile(options.specPath);
  // What the BatchScore Lambda does when invoked by hand, as its role.
  const runCommand = `orchard run ${options.specPath}${options.stateDir === undefined ? "" : ` --state-dir ${options.stateDir}`}`;
  const score = (stateDir?: string) =>
    runAs({ role: "batchScore", pipeline: spec.name }, () => {
      const deps = stepDeps();
      const event = { pipeline: spec.name, inputUri: options.inputUri, version: options.version };
      const now = options.now ?? deps.now;
      return batchScore(event, {
        ...deps,
        now,
        objects: batchObjectsFor(options.inputUri),
      }).catch(async (err) => {
        if (!(err instanceof NoChampionError) || !stateDir) throw err;
        const [newest] = await deps.registry.listVersions(spec.name);
        throw noChampionError(spec, stateDir, newest ?? null, runCommand);
      });
    });
  if (process.env[STORAGE_ENV.registryTable] && options.stateDir === undefined) return score();
  const stateDir = resolve(options.stateDir ?? DEFAULT_STATE_DIR);
  if (!existsSync(stateDir)) throw noChampionError(spec, stateDir, null, runCommand);
  return withLocalStores(stateDir, () => score(stateDir));
}

export function formatBatch(result: BatchScoreOutput): string {
  const lines = result.files.map((f) => JSON.stringify(f));
  const { modelVersion, fileCount, rowCount } = result;
  lines.push(JSON.stringify({ modelVersion, fileCount, rowCount }));
  return `${lines.join("\n")}\n`;
}
