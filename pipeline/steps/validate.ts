/**
 * Validate: the schema and quality report of the raw snapshot. The report is stored before
 * any verdict, so a failed run still leaves the evidence; a data error then ends the run with
 * its named error (file, row, column), and nothing downstream runs.
 */
import { assertValid, validateData } from "../data/validate.ts";
import { displayName, jsonBytes, loadSpec, need, readRaw } from "./context.ts";
import type { RunState, StepDeps, ValidateOutput } from "./types.ts";

/** Payloads are capped at 256 KiB; the full list is in the stored report. */
const MAX_WARNINGS_IN_STATE = 20;

export async function validate(state: RunState, deps: StepDeps): Promise<ValidateOutput> {
  const spec = await loadSpec(deps, state);
  const table = await readRaw(deps, spec, state);
  const report = validateData(table, {
    file: displayName(need(state, "ingest").sourceUri),
    task: spec.task,
    target: spec.target,
    id: spec.id,
    features: spec.features,
    mismatches: table.mismatches,
    timeColumn: spec.split.strategy === "time" ? spec.split.timeColumn : null,
    dropMissingTarget: spec.preprocessing.dropMissingTarget,
    textInNumbers: table.textInNumbers,
  });
  const stored = await deps.artifacts.putContent(
    "artifacts",
    `${spec.name}/validation`,
    jsonBytes(report),
    "json",
  );
  assertValid(report);
  return {
    reportUri: stored.uri,
    rows: report.rows,
    columns: report.columns.length,
    warnings: report.warnings.slice(0, MAX_WARNINGS_IN_STATE).map((w) => w.message),
  };
}
