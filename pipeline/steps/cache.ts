/**
 * The step cache: a step's output stored under a hash of what it depends on — its input
 * references, its code version and the spec sections it reads — so that a rerun does not redo
 * a step whose result is already known. After a crash (a SIGKILL in the middle of training),
 * the rerun finds Validate, Preprocess and every finished Train candidate in the cache and
 * computes only the rest; an unchanged rerun recomputes nothing but Ingest, Evaluate and
 * Promote (which read the registry and must see it as it is now).
 *
 * It lives behind the ArtifactStore (`artifacts/<pipeline>/cache/<step>/<step>-<key>.json`), so
 * the same handlers use it on Lambda and locally: the cloud program is the same program. On
 * AWS the other half of resuming is Step Functions redrive (`orchard cloud redrive`), which
 * restarts a failed execution from the failed state with the earlier states' outputs; the
 * cache additionally makes a new execution over unchanged data cheap and keeps finished Map
 * iterations when a whole execution is started again.
 *
 * A hit is used only when the entry names the same key and every artifact its output refers
 * to still exists; anything else (missing, corrupt, a half-written entry) is a miss. Steps
 * write content-addressed artifacts first and the cache entry last, so an entry never points
 * at an artifact that was not written. A failed cache write does not fail the step.
 */

import { createHash } from "node:crypto";
import { transformOfPipeline } from "../derived/transform.ts";
import { ArtifactNotFoundError } from "../errors.ts";
import type { PipelineSpec } from "../spec/types.ts";
import { loadSpec } from "./context.ts";
import type { RunState, StepDeps } from "./types.ts";

export type CachedStepName = "validate" | "preprocess" | "train" | "select";

export interface CachePolicy<E> {
  step: CachedStepName;
  /**
   * Bump when the step's output for the same input changes in a way the code version does not
   * capture (a step run with no ORCHARD_CODE_VERSION set falls back to the package version).
   */
  revision: number;
  /** The top-level spec sections the step reads. */
  specSections: readonly (keyof PipelineSpec)[];
  /** The run state inside the event (for the spec). */
  state(event: E): RunState;
  /** What of the event the output depends on: content hashes and content-addressed URIs. */
  input(event: E): unknown;
}

export interface StepCacheSettings {
  enabled: boolean;
  /** The code that computes the steps, e.g. a hash of the sources or the bundle. */
  codeVersion: string;
}

export interface StepCacheStats {
  hits: Record<string, number>;
  misses: Record<string, number>;
  /** Cache entries that could not be written (the step's result was still returned). */
  writeErrors: number;
}

const stats: StepCacheStats = { hits: {}, misses: {}, writeErrors: 0 };

export function stepCacheStats(): StepCacheStats {
  return { hits: { ...stats.hits }, misses: { ...stats.misses }, writeErrors: stats.writeErrors };
}

export function resetStepCacheStats(): void {
  stats.hits = {};
  stats.misses = {};
  stats.writeErrors = 0;
}

/** JSON with object keys sorted at every level: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v as object)
            .sort()
            .map((k) => [k, (v as never)[k]]),
        )
      : v,
  );
}

export function cacheKey(material: unknown): string {
  return createHash("sha256").update(canonicalJson(material)).digest("hex");
}

interface CacheEntry {
  key: string;
  step: string;
  output: unknown;
}

/** Every `s3://` string inside a value. */
function referencedUris(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") {
    if (value.startsWith("s3://")) out.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) referencedUris(v, out);
  } else if (value && typeof value === "object") {
    for (const v of Object.values(value)) referencedUris(v, out);
  }
  return out;
}

async function readEntry(deps: StepDeps, uri: string, key: string): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = await deps.artifacts.get(uri);
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) return undefined;
    throw err;
  }
  let entry: CacheEntry;
  try {
    entry = JSON.parse(new TextDecoder().decode(bytes)) as CacheEntry;
  } catch {
    return undefined;
  }
  if (entry?.key !== key || entry.output === undefined) return undefined;
  for (const ref of referencedUris(entry.output)) {
    if (!(await deps.artifacts.exists(ref))) return undefined;
  }
  return entry.output;
}

const count = (table: Record<string, number>, step: string) => {
  table[step] = (table[step] ?? 0) + 1;
};

/** `run`, answered from the cache when its key was computed before. */
export function cachedStep<E, R>(
  policy: CachePolicy<E>,
  run: (event: E, deps: StepDeps) => Promise<R>,
  settings: () => StepCacheSettings,
): (event: E, deps: StepDeps) => Promise<R> {
  return async (event, deps) => {
    const { enabled, codeVersion } = settings();
    if (!enabled) return run(event, deps);
    const spec = await loadSpec(deps, policy.state(event));
    const key = cacheKey({
      step: policy.step,
      revision: policy.revision,
      codeVersion,
      input: policy.input(event),
      spec: Object.fromEntries(policy.specSections.map((s) => [s, spec[s] ?? null])),
      // The user's row transform is code the code version does not cover (locally, a hash of
      // Orchard's sources): its source hash keys the steps, so an edited module is rerun.
      ...(spec.features.transform === null
        ? {}
        : { transform: transformOfPipeline(spec.name, spec.features.transform).sha256 }),
    });
    const path = `${spec.name}/cache/${policy.step}/${policy.step}-${key}.json`;
    const cached = await readEntry(deps, deps.artifacts.uriFor("artifacts", path), key);
    if (cached !== undefined) {
      count(stats.hits, policy.step);
      return cached as R;
    }
    count(stats.misses, policy.step);
    const output = await run(event, deps);
    const entry: CacheEntry = { key, step: policy.step, output };
    try {
      await deps.artifacts.put("artifacts", path, new TextEncoder().encode(JSON.stringify(entry)));
    } catch {
      stats.writeErrors++;
    }
    return output;
  };
}
