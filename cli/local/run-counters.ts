/**
 * What a local run needed to get through: the storage calls and the SDK's own retries (from
 * the counters `lambdas/io/faults.ts` keeps on every client), the faults injected when
 * ORCHARD_FAULT_RATE is set, the state machine's retries (the executor's per-state attempts),
 * and the steps answered from the step cache. `orchard run` prints them under its summary.
 *
 * The counters are per process; `orchard run` is one run per process, and in-process callers
 * reset them before each run.
 */
import {
  resetStorageCallStats,
  type StorageCallStats,
  storageCallStats,
} from "../../lambdas/io/faults.ts";
import {
  resetStepCacheStats,
  type StepCacheStats,
  stepCacheStats,
} from "../../pipeline/steps/cache.ts";
import type { LocalRun } from "./run-pipeline.ts";

export interface RunCounters {
  storage: StorageCallStats;
  /** Retries the state machine made (attempts beyond the first), and where. */
  stateRetries: { total: number; where: string[] };
  cache: StepCacheStats;
}

export function resetRunCounters(): void {
  resetStorageCallStats();
  resetStepCacheStats();
}

export function runCounters(run: LocalRun): RunCounters {
  const retried = run.result.states.filter((s) => s.attempts > 1);
  return {
    storage: storageCallStats(),
    stateRetries: {
      total: retried.reduce((n, s) => n + s.attempts - 1, 0),
      where: retried.map(
        (s) => `${s.name}${s.iteration === undefined ? "" : `[${s.iteration}]`} ×${s.attempts - 1}`,
      ),
    },
    cache: stepCacheStats(),
  };
}

/** Summary lines, aligned with `orchard run`'s other summary lines. */
export function counterLines(c: RunCounters): string[] {
  const { storage: s, stateRetries: r, cache } = c;
  const faults = s.faultsInjected > 0 ? `, ${s.faultsInjected} injected faults` : "";
  const lines = [
    `  retries     ${s.sdkRetries} by the AWS SDK (${s.calls} storage calls${faults}), ${r.total} by the state machine${r.total > 0 ? ` (${r.where.join(", ")})` : ""}`,
  ];
  const reused = Object.entries(cache.hits).filter(([, n]) => n > 0);
  if (reused.length > 0) {
    const total = (step: string) => (cache.hits[step] ?? 0) + (cache.misses[step] ?? 0);
    lines.push(
      `  cache       reused ${reused.map(([step, n]) => `${step} ${n}/${total(step)}`).join(", ")} (unchanged input, code and spec)`,
    );
  }
  return lines;
}
