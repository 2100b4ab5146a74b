/**
 * `orchard run <spec.yaml> [--state-dir DIR] [--json] [--no-progress]`: the pipeline's state
 * machine executed locally. Exit 0 when the execution succeeded (promoted or not), 1 when it
 * failed, 2 for usage errors.
 */

import type { PipelineSpec } from "../pipeline/spec/types.ts";
import type { EvaluateOutput, RunState, SelectOutput } from "../pipeline/steps/types.ts";
import { parse } from "./args.ts";
import { localCodeVersion } from "./local/code-version.ts";
import { counterLines, resetRunCounters, runCounters } from "./local/run-counters.ts";
import type { LocalRun } from "./local/run-pipeline.ts";
import { runLocally } from "./local/run-pipeline.ts";
import { createProgress } from "./progress.ts";
import { errorInfo, fail } from "./report-error.ts";
import { keepLocalRun, reportLines } from "./ui/run-records.ts";

const USAGE = `Usage: orchard run <spec.yaml> [--state-dir DIR] [--json] [--no-progress] [--no-cache]

Runs the pipeline's state machine locally against embedded S3 and DynamoDB
persisted under the state directory (default .orchard/ in the current directory).

  --state-dir DIR  where local storage persists (default .orchard)
  --json           print exactly one JSON object on stdout
  --no-progress    no per-state progress on stderr
  --no-cache       recompute every step (default: reuse the outputs of steps whose
                   input, code and spec sections are unchanged)`;

/**
 * The held-out metrics `--json` reports, in this order. roc_auc is there whenever it was
 * computed: binary, or one-vs-rest macro for more classes (absent when a class has no test row).
 */
const CLASSIFICATION_METRICS = [
  "accuracy",
  "f1_macro",
  "precision_macro",
  "recall_macro",
  "log_loss",
  "roc_auc",
];
const REGRESSION_METRICS = ["rmse", "mae", "r2"];

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      "state-dir": { type: "string" },
      json: { type: "boolean", default: false },
      "no-progress": { type: "boolean", default: false },
      "no-cache": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`orchard run: expected one spec file\n\n${USAGE}\n`);
    return 2;
  }
  if (values["no-cache"]) process.env.ORCHARD_STEP_CACHE = "off";
  process.env.ORCHARD_CODE_VERSION ??= await localCodeVersion();
  resetRunCounters();
  const progress = createProgress(process.stderr, !values["no-progress"]);
  let run: LocalRun;
  try {
    run = await runLocally({
      specPath: positionals[0],
      stateDir: values["state-dir"],
      onEvent: (e) => progress.onEvent(e),
    });
  } catch (err) {
    progress.finish();
    // The run could not start (bad spec, state directory in use): nothing was executed.
    const info = errorInfo(err);
    if (values.json) {
      const out = {
        status: "FAILED",
        pipeline: null,
        executionId: null,
        promoted: false,
        modelVersion: null,
        metrics: {},
        gate: null,
        error: { state: "Start", ...info },
      };
      process.stdout.write(`${JSON.stringify(out)}\n`);
    }
    return fail("run", err);
  }
  progress.finish();
  // The run record and a copy of the report under the state dir (read by `orchard ui`).
  const kept = await keepLocalRun(values["state-dir"], run);
  const summary = jsonSummary(run);
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else process.stdout.write(humanSummary(run) + reportLines(kept));
  if (run.result.error) {
    const { state, name, message } = run.result.error;
    process.stderr.write(`orchard run: ${state} failed: ${name}: ${message}\n`);
    return 1;
  }
  return 0;
}

export function jsonSummary(run: LocalRun) {
  const { result, state, spec } = run;
  const promoted = state?.promote?.promoted === true;
  return {
    status: result.status,
    pipeline: spec.name,
    executionId: result.executionId,
    promoted,
    modelVersion: state?.evaluate?.version ?? null,
    metrics: reportedMetrics(state?.select),
    gate: gateSummary(state?.evaluate),
    error: result.error
      ? { state: result.error.state, name: result.error.name, message: result.error.message }
      : null,
  };
}

/**
 * The gate's comparison: both models' metric on the rows both were scored on (the test rows
 * the champion did not train on), or the challenger's on all test rows and null champion fields
 * when there was no champion. `comparedRows` is null when the champion's recorded metric was used.
 */
export function gateSummary(evaluation: EvaluateOutput | undefined) {
  if (!evaluation) return null;
  const c = evaluation.champion;
  return {
    metric: evaluation.metric,
    challenger: c ? (c.challengerValue ?? evaluation.value) : evaluation.value,
    champion: c?.value ?? null,
    championVersion: c?.version ?? null,
    comparedRows: c?.rows ?? null,
    passed: evaluation.promote,
    reasons: evaluation.reasons,
  };
}

function reportedMetrics(select: SelectOutput | undefined): Record<string, number> {
  if (!select) return {};
  const all = select.metrics as unknown as Record<string, number | undefined>;
  const names = select.classes === null ? REGRESSION_METRICS : CLASSIFICATION_METRICS;
  return Object.fromEntries(
    names.filter((n) => all[n] !== undefined).map((n) => [n, all[n] as number]),
  );
}

/** What batch scoring did (BatchResults' totals of the ScoreFiles children), or why it scored nothing. */
function batchLines(batch: RunState["batchScore"]): string[] {
  if (!batch) return [];
  if (!batch.enabled) return [`  batch       not scored: ${batch.reason}`];
  const { fileCount, rowCount, batches, failedBatches } = batch.totals ?? {
    fileCount: 0,
    rowCount: 0,
    batches: 0,
    failedBatches: 0,
  };
  const failed = failedBatches > 0 ? `, ${failedBatches} batch(es) failed within tolerance` : "";
  return [
    `  batch       ${rowCount} row(s) in ${fileCount} file(s) under ${batch.inputUri} scored with ${batch.modelVersion} (${batches} child execution(s)${failed})`,
    `              → *.predictions.* next to each input`,
  ];
}

/**
 * The summary's `best` line: the candidate and how it was scored, or for a custom trainer
 * (whose candidate carries no parameters of Orchard's) the command that trained it.
 */
export function bestLine(best: SelectOutput["best"], spec: PipelineSpec): string {
  const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(4));
  if (best.params.type === "custom") {
    return `  best        custom trainer \`${spec.model.custom?.command.join(" ") ?? ""}\` (its ONNX model; docs/custom-training.md)`;
  }
  return `  best        ${best.candidateId} ${JSON.stringify(best.params)} ${best.cvMean === null || best.cvStd === null ? "(not cross-validated)" : `cv ${spec.search.metric} ${fmt(best.cvMean)} ± ${fmt(best.cvStd)}`}`;
}

function humanSummary(run: LocalRun): string {
  const { result, state, spec } = run;
  const lines: string[] = [];
  const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(4));
  lines.push(`\nPipeline ${spec.name}: ${result.status} (execution ${result.executionId})`);
  if (state?.ingest) {
    const reuse = state.ingest.created ? "new snapshot" : "snapshot reused";
    lines.push(`  data        ${state.ingest.sourceUri} → ${state.ingest.rawUri} (${reuse})`);
  }
  if (state?.preprocess) {
    const r = state.preprocess.rows;
    lines.push(
      `  rows        ${r.input} read, ${r.missingTargetDropped ? `${r.missingTargetDropped} without a target dropped, ` : ""}${r.duplicatesRemoved} duplicates removed, ${r.train} train / ${r.test} test`,
    );
  }
  if (state?.validate) {
    lines.push(
      `  validation  ${state.validate.warnings.length} warning(s), report ${state.validate.reportUri}`,
    );
    for (const w of state.validate.warnings) lines.push(`              ! ${w}`);
  }
  if (state?.select) {
    lines.push(bestLine(state.select.best, spec));
    const metrics = reportedMetrics(state.select);
    lines.push(
      `  test        ${Object.entries(metrics)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(", ")}`,
    );
  }
  if (state?.evaluate) {
    lines.push(
      `  gate        ${state.evaluate.promote ? "passed" : "not passed"}: ${state.evaluate.reasons.join("; ")}`,
    );
  }
  lines.push(
    `  champion    before ${run.championBefore?.version ?? "none"}, after ${run.championAfter?.version ?? "none"}${state?.promote?.promoted ? " (promoted)" : ""}`,
  );
  lines.push(...batchLines(state?.batchScore));
  lines.push(...counterLines(runCounters(run)));
  lines.push("  states");
  for (const s of result.states.filter((x) => x.iteration === undefined)) {
    const retries = s.attempts > 1 ? ` (${s.attempts} attempts)` : "";
    lines.push(
      `    ${s.name.padEnd(14)}${String(s.durationMs).padStart(7)} ms  ${s.status}${retries}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
