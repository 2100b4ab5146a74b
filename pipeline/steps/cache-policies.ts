/**
 * What each cached step's output depends on (see `cache.ts`). A step's key holds the content
 * hashes or content-addressed URIs of what it reads and the spec sections it reads; anything
 * left out here would let a changed input reuse a stale output, so each list is checked by a
 * test that changes one thing at a time.
 *
 * Not cached: Ingest (it reads the source, which is the very thing that may change; its write
 * is content-addressed anyway), Evaluate and Promote (they read and write the registry, which
 * must be seen as it is now).
 */

import type { CachePolicy } from "./cache.ts";
import type { RunState, TrainEvent } from "./types.ts";

const ingestOf = (state: RunState) => ({
  rawSha256: state.ingest?.sha256 ?? null,
  // Messages and the report name the source; the same bytes from elsewhere get their own entry.
  sourceUri: state.ingest?.sourceUri ?? null,
});

export const VALIDATE_CACHE: CachePolicy<RunState> = {
  step: "validate",
  revision: 1,
  specSections: ["name", "task", "target", "id", "features", "source", "split"],
  state: (state) => state,
  input: ingestOf,
};

export const PREPROCESS_CACHE: CachePolicy<RunState> = {
  step: "preprocess",
  // 2: content keys hashed by split scheme 2 (another split of the same rows)
  revision: 2,
  specSections: [
    "name",
    "seed",
    "task",
    "target",
    "id",
    "features",
    "source",
    "preprocessing",
    "split",
    "model",
    "search",
  ],
  state: (state) => state,
  input: ingestOf,
};

export const TRAIN_CACHE: CachePolicy<TrainEvent> = {
  step: "train",
  revision: 1,
  specSections: ["name", "seed", "task", "preprocessing", "model", "search"],
  state: (event) => event.run,
  input: (event) => ({
    candidate: event.candidate,
    datasetUri: event.run.preprocess?.datasetUri ?? null,
    features: event.run.preprocess?.features ?? null,
  }),
};

/**
 * Select's model bundle records the whole spec's hash in its lineage, so the key holds the
 * stored spec's content-addressed URI rather than sections. Its lineage time is the run that
 * built the model: a cached Select returns that model, time included.
 */
export const SELECT_CACHE: CachePolicy<RunState> = {
  step: "select",
  revision: 1,
  specSections: [],
  state: (state) => state,
  input: (state) => ({
    specUri: state.run.specUri,
    rawSha256: state.ingest?.sha256 ?? null,
    datasetUri: state.preprocess?.datasetUri ?? null,
    features: state.preprocess?.features ?? null,
    train: state.train ?? null,
  }),
};
