/**
 * The handler of every step that may run as a container (lambdas/bundles.ts), by step name:
 * what the container runner dispatches on ORCHARD_STEP, and, with report and notifyFailure,
 * what `orchard run` calls in-process. A module of its own, so neither loads the other's
 * dependencies.
 */
import { handler as assemble } from "./assemble.ts";
import { handler as batchScore } from "./batch-score.ts";
import type { ContainerStep } from "./bundles.ts";
import { handler as canary } from "./canary.ts";
import { handler as drift } from "./drift.ts";
import { handler as evaluate } from "./evaluate.ts";
import { handler as ingest } from "./ingest.ts";
import { handler as preprocess } from "./preprocess.ts";
import { handler as promote } from "./promote.ts";
import { handler as select } from "./select.ts";
import { handler as train } from "./train.ts";
import { handler as trainShard } from "./train-shard.ts";
import { handler as validate } from "./validate.ts";

export type Handler = (event: never) => Promise<unknown>;

export const CONTAINER_HANDLERS: Record<ContainerStep, Handler> = {
  ingest,
  validate,
  drift,
  preprocess,
  train,
  select,
  trainShard,
  assemble,
  evaluate,
  canary,
  promote,
  batchScore,
};
