/**
 * Key prefixes of the intermediate objects a run leaves in the artifacts bucket, named once:
 * the code that writes them, the grants of the roles that read and write them
 * (infra/access/declarations.ts, distributedMapPolicy) and the lifecycle rule that expires
 * them (infra/platform.ts) all derive from these, so they cannot drift apart. A light module
 * on purpose: infra imports it without the steps' code.
 */

/** Sharded fits' tree shards (FitShards writes, Assemble reads; steps/shards.ts). */
export const SHARDS_DIR = "shards";

/** Where a pipeline's shard objects go, `<pipeline>/shards/`: the lifecycle rule's prefix. */
export function shardPrefix(pipeline: string): string {
  return `${pipeline}/${SHARDS_DIR}/`;
}

/**
 * ScoreFiles' ResultWriter export (the state machine writes, BatchResults reads;
 * steps/batch-score.ts): `<pipeline>/batch-results/<map run id>/manifest.json` and the result
 * files beside it.
 */
export const BATCH_RESULTS_DIR = "batch-results";

/** The ResultWriter's Prefix for a pipeline (no trailing `/`: Step Functions adds one). */
export function batchResultsPrefix(pipeline: string): string {
  return `${pipeline}/${BATCH_RESULTS_DIR}`;
}
