/**
 * `orchard monitor <spec.yaml> [--state-dir DIR] [--json] [--no-retrain] [--at ISO]`: the
 * Monitor, locally (docs/monitoring.md). Joins the window's captured predictions with their
 * labels, computes the live metrics per model version and the drift of live inputs, stores the
 * report (`artifacts/<pipeline>/monitor/reports/`, HTML and JSON; the HTML is copied to
 * `<state-dir>/monitor/<pipeline>/` with its JSON, which `orchard ui` reads), judges a running
 * A/B test or bandit (deploy.strategy), and when the champion's live gate metric passes the
 * alarm's bound and the cool-down allows, starts a retrain run (what the cloud's EventBridge
 * rule does on the alarm), with the alarm's reason recorded as the run's `reason`.
 *
 * Exit 0 when it ran (alarm or not; `--json` says which), 1 when it failed or the retrain run
 * failed, 2 usage.
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { runAs } from "../lambdas/io/caller.ts";
import { artifactKeyLister } from "../lambdas/io/list-keys.ts";
import { stepDeps } from "../lambdas/step-handler.ts";
import { monitorReportHtml } from "../pipeline/monitor/report-html.ts";
import { type MonitorRun, runMonitor } from "../pipeline/monitor/run-monitor.ts";
import { parse, UsageError } from "./args.ts";
import {
  DEFAULT_STATE_DIR,
  type LocalRun,
  loadSpecFile,
  runLocally,
  withLocalStores,
} from "./local/run-pipeline.ts";
import { fail } from "./report-error.ts";

const USAGE = `Usage: orchard monitor <spec.yaml> [--state-dir DIR] [--json] [--no-retrain] [--at ISO]

Joins the captured predictions of the spec's monitor window with the labels sent back
(POST /feedback, orchard feedback, files under <pipeline>/labels/), computes the live
metrics per model version and the drift of live inputs, writes the monitor report, and
starts a retrain run when the champion's live gate metric passes the alarm's bound
(outside monitor.coolDownMinutes of the last one). An A/B test or bandit that serving
runs (deploy.strategy) is judged too: the challenger promoted or rolled back, or new
bandit weights written, with or without --no-retrain.

  --state-dir DIR  the local storage "orchard run" wrote (default .orchard)
  --json           print one JSON object: the report's figures and the retrain
  --no-retrain     report the alarm, start nothing
  --at ISO         judge the window ending at this time (default now)`;

export interface MonitorCommandResult {
  monitor: MonitorRun;
  retrainRun: LocalRun | null;
  htmlPath: string;
}

export async function monitorLocally(options: {
  specPath: string;
  stateDir?: string;
  retrain?: boolean;
  now?: Date;
}): Promise<MonitorCommandResult> {
  const { spec } = await loadSpecFile(options.specPath);
  const stateDir = resolve(options.stateDir ?? DEFAULT_STATE_DIR);
  if (!existsSync(stateDir)) {
    throw new UsageError(
      `--state-dir ${stateDir} does not exist: run "orchard run ${options.specPath}" and serve predictions first`,
    );
  }
  const now = options.now ?? new Date();
  const monitor = await withLocalStores(stateDir, () =>
    // The Monitor's own role: it reads captures, labels, models and baselines, writes its reports.
    runAs({ role: "monitor", pipeline: spec.name }, async () => {
      const deps = stepDeps();
      return runMonitor(
        spec,
        { ...deps, listKeys: artifactKeyLister(deps.artifacts) },
        { now, retrain: options.retrain ?? true },
      );
    }),
  );
  const dir = join(stateDir, "monitor", spec.name);
  await mkdir(dir, { recursive: true });
  const htmlPath = join(dir, `${now.toISOString().replace(/[:.]/g, "-")}.html`);
  await writeFile(htmlPath, await monitorReportHtml(monitor.report));
  // The figures too, as a plain file: `orchard ui` charts them over time without the stores.
  await writeFile(htmlPath.replace(/\.html$/, ".json"), JSON.stringify(monitor.report));
  // The retrain starts after the Monitor let go of the state directory (one process at a time).
  const retrainRun = monitor.retrain.start
    ? await runLocally({ specPath: options.specPath, stateDir, reason: monitor.retrain.reason })
    : null;
  return { monitor, retrainRun, htmlPath };
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(
      argv,
      {
        "state-dir": { type: "string" },
        json: { type: "boolean", default: false },
        "no-retrain": { type: "boolean", default: false },
        at: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      USAGE,
    );
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(`expected one spec file\n\n${USAGE}`);
    let now: Date | undefined;
    if (values.at !== undefined) {
      now = new Date(values.at);
      if (!Number.isFinite(now.getTime())) {
        throw new UsageError(`--at ${values.at}: use an ISO-8601 time, e.g. 2026-12-03T10:00:00Z`);
      }
    }
    const result = await monitorLocally({
      specPath: positionals[0],
      ...(values["state-dir"] !== undefined ? { stateDir: values["state-dir"] } : {}),
      retrain: !values["no-retrain"],
      ...(now ? { now } : {}),
    });
    const { report, retrain } = result.monitor;
    const run = result.retrainRun;
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({
          pipeline: report.pipeline,
          alarm: report.alarm,
          gate: report.gate,
          champion: report.champion,
          captured: report.captured,
          labeled: report.labeled,
          duplicateLabels: report.duplicateLabels,
          versions: report.versions,
          drift: report.drift
            ? { drifted: report.drift.drifted, maxPsi: report.drift.maxPsi }
            : null,
          experiment: report.experiment ?? null,
          report: result.htmlPath,
          retrain: {
            started: run !== null,
            reason: retrain.reason,
            executionId: run?.result.executionId ?? null,
            status: run?.result.status ?? null,
            promoted: run ? run.championAfter?.version !== run.championBefore?.version : null,
          },
        })}\n`,
      );
    } else {
      const g = report.gate;
      const lines = [
        `Monitor ${report.pipeline}: ${report.captured} captured, ${report.labeled} labeled in the last ${report.window.hours} h (champion ${report.champion ?? "none"})`,
        ...report.versions.map(
          (v) =>
            `  ${v.version}: ${v.captured} captured, ${v.labeled} labeled${v.metrics[g.metric] !== undefined ? `, live ${g.metric} ${v.metrics[g.metric].toFixed(4)}` : ""}`,
        ),
        `${report.alarm ? "ALARM" : g.verdict}: ${g.reason}`,
        report.experiment
          ? `${report.experiment.strategy === "ab" ? "A/B test" : "bandit"} ${report.experiment.action}: ${report.experiment.reason}`
          : "",
        run
          ? `retrain started: execution ${run.result.executionId} ${run.result.status} (${run.result.endState ?? ""}), reason: ${retrain.reason}`
          : report.alarm
            ? `no retrain: ${retrain.reason}`
            : "",
        `report: ${result.htmlPath}`,
      ].filter((l) => l !== "");
      process.stdout.write(`${lines.join("\n")}\n`);
    }
    return run && run.result.status !== "SUCCEEDED" ? 1 : 0;
  } catch (err) {
    return fail("monitor", err);
  }
}
