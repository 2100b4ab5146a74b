/**
 * What `orchard run` leaves under the state directory for people and for `orchard ui`:
 * `<stateDir>/runs/<pipeline>/<execution>.json` (status, states with durations, metrics, the
 * report's location), a copy of the execution's report next to it (`<execution>.html`, open
 * it in a browser), and `<stateDir>/runs/<pipeline>/registry.json`, the registry as the run
 * left it. Plain files: the UI reads them without the embedded S3 and DynamoDB, so it works
 * while a run holds the state directory.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { ArtifactNotFoundError } from "../../pipeline/errors.ts";
import { reportKey } from "../../pipeline/report/location.ts";
import type { RunState } from "../../pipeline/steps/types.ts";
import type { ArtifactStore, ModelRegistry, ModelVersion } from "../../pipeline/store.ts";
import type { LocalRun } from "../local/run-pipeline.ts";

export const RUNS_DIR = "runs";

export interface RunRecord {
  pipeline: string;
  executionId: string;
  status: "SUCCEEDED" | "FAILED";
  /** The terminal state: Promoted, NotPromoted, NoDrift or Failed. */
  endState: string | null;
  startedAt: number | null;
  durationMs: number;
  states: { name: string; status: string; durationMs: number; attempts: number; runs: number }[];
  metrics: Record<string, number>;
  modelVersion: string | null;
  promoted: boolean;
  championBefore: string | null;
  championAfter: string | null;
  drift: { maxPsi: number | null; retrain: boolean; reason: string } | null;
  error: { state: string; name: string; message: string } | null;
  /** Where the run wrote its report, and the copy's file name next to this record. */
  reportUri: string | null;
  reportFile: string | null;
}

export interface RegistrySnapshot {
  pipeline: string;
  takenAt: string;
  champion: string | null;
  versions: ModelVersion[];
}

export function runsDir(stateDir: string, pipeline?: string): string {
  return pipeline ? join(stateDir, RUNS_DIR, pipeline) : join(stateDir, RUNS_DIR);
}

/** The record of a finished local run (pure: no I/O). */
export function runRecord(
  run: LocalRun,
  reportUri: string | null,
  reportFile: string | null,
): RunRecord {
  const { result, spec } = run;
  const state = (result.output as RunState | undefined) ?? null;
  const top = result.states.filter((s) => s.iteration === undefined);
  const inner = result.states.filter((s) => s.iteration !== undefined);
  const first = result.states[0];
  const last = result.states.at(-1);
  const metrics = state?.select
    ? Object.fromEntries(
        Object.entries(state.select.metrics).filter(
          ([, v]) => typeof v === "number" && Number.isFinite(v),
        ),
      )
    : {};
  return {
    pipeline: spec.name,
    executionId: result.executionId,
    status: result.status,
    endState: result.endState ?? null,
    startedAt: first?.startedAt ?? null,
    durationMs: first && last ? last.startedAt + last.durationMs - first.startedAt : 0,
    states: [
      ...top.map((s) => ({
        name: s.name,
        status: s.status,
        durationMs: s.durationMs,
        attempts: s.attempts,
        runs: 1,
      })),
      ...summariseIterations(inner),
    ],
    metrics,
    modelVersion: state?.evaluate?.version ?? null,
    promoted: state?.promote?.promoted === true,
    championBefore: run.championBefore?.version ?? null,
    championAfter: run.championAfter?.version ?? null,
    drift: state?.drift
      ? { maxPsi: state.drift.maxPsi, retrain: state.drift.retrain, reason: state.drift.reason }
      : null,
    error: result.error
      ? { state: result.error.state, name: result.error.name, message: result.error.message }
      : null,
    reportUri,
    reportFile,
  };
}

function summariseIterations(inner: LocalRun["result"]["states"]): RunRecord["states"] {
  const byName = new Map<string, RunRecord["states"][number]>();
  for (const s of inner) {
    const agg = byName.get(s.name) ?? {
      name: s.name,
      status: "SUCCEEDED",
      durationMs: 0,
      attempts: 0,
      runs: 0,
    };
    agg.durationMs += s.durationMs;
    agg.attempts += s.attempts;
    agg.runs += 1;
    if (s.status === "FAILED") agg.status = "FAILED";
    byName.set(s.name, agg);
  }
  return [...byName.values()];
}

/**
 * Copies the execution's report out of the artifacts store and writes the run record and the
 * registry snapshot. Returns the record (its `reportFile` is absolute here).
 */
export async function keepRunRecord(
  stateDir: string,
  run: LocalRun,
  stores: { artifacts: ArtifactStore; registry: ModelRegistry },
): Promise<RunRecord & { reportPath: string | null }> {
  const dir = runsDir(stateDir, run.spec.name);
  await mkdir(dir, { recursive: true });
  const uri = stores.artifacts.uriFor(
    "artifacts",
    reportKey(run.spec.name, run.result.executionId),
  );
  let reportFile: string | null = null;
  let reportUri: string | null = null;
  try {
    const html = await stores.artifacts.get(uri);
    reportUri = uri;
    reportFile = `${safeName(run.result.executionId)}.html`;
    await writeFile(join(dir, reportFile), html);
  } catch (err) {
    if (!(err instanceof ArtifactNotFoundError)) throw err;
  }
  const record = runRecord(run, reportUri, reportFile);
  await writeFile(
    join(dir, `${safeName(run.result.executionId)}.json`),
    `${JSON.stringify(record, null, 2)}\n`,
  );
  const versions = await stores.registry.listVersions(run.spec.name);
  const snapshot: RegistrySnapshot = {
    pipeline: run.spec.name,
    takenAt: new Date().toISOString(),
    champion: run.championAfter?.version ?? null,
    versions,
  };
  await writeFile(join(dir, "registry.json"), `${JSON.stringify(snapshot, null, 2)}\n`);
  return { ...record, reportPath: reportFile ? join(dir, reportFile) : null };
}

export function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, "_");
}

/** The pipelines that have run records, sorted. */
export async function listPipelines(stateDir: string): Promise<string[]> {
  try {
    const entries = await readdir(runsDir(stateDir), { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

/** A pipeline's run records, newest first. */
export async function listRuns(stateDir: string, pipeline: string): Promise<RunRecord[]> {
  const dir = runsDir(stateDir, pipeline);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".json") && n !== "registry.json");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const runs = await Promise.all(
    names.map(async (n) => JSON.parse(await readFile(join(dir, n), "utf8")) as RunRecord),
  );
  return runs.sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0));
}

export async function readRegistry(
  stateDir: string,
  pipeline: string,
): Promise<RegistrySnapshot | null> {
  try {
    return JSON.parse(await readFile(join(runsDir(stateDir, pipeline), "registry.json"), "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/**
 * `orchard run`'s hand-off: keeps the record and the report copy of a finished run, with the
 * state directory's storage opened again (the run has closed it). Never fails the command:
 * a problem here is a warning on stderr.
 */
export async function keepLocalRun(
  stateDir: string | undefined,
  run: LocalRun,
): Promise<(RunRecord & { reportPath: string | null }) | null> {
  const { DEFAULT_STATE_DIR, withLocalStores } = await import("../local/run-pipeline.ts");
  const { stepDeps } = await import("../../lambdas/step-handler.ts");
  const { runAs } = await import("../../lambdas/io/caller.ts");
  const dir = resolve(stateDir ?? DEFAULT_STATE_DIR);
  try {
    // Reading the report and the versions back is what the data scientist's role may do.
    return await withLocalStores(dir, () =>
      runAs({ role: "data-scientist", pipeline: run.spec.name }, () =>
        keepRunRecord(dir, run, stepDeps()),
      ),
    );
  } catch (err) {
    process.stderr.write(
      `orchard run: could not keep the run record under ${dir}: ${(err as Error).message}\n`,
    );
    return null;
  }
}

/** The summary lines saying where the report is. */
export function reportLines(
  kept: { reportUri: string | null; reportPath: string | null } | null,
): string {
  if (!kept?.reportUri) return "";
  const rel = kept.reportPath ? relative(process.cwd(), kept.reportPath) : "";
  const shown = rel && !rel.startsWith("..") ? rel : kept.reportPath;
  const copy = shown ? `\n              open ${shown}` : "";
  return `  report      ${kept.reportUri}${copy}\n`;
}
