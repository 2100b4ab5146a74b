/**
 * `orchard drift <spec.yaml> --input FILE [--state-dir DIR] [--json] [--fail-on-drift]`: compares any data file
 * with the data the pipeline's champion was trained on — the same comparison the Drift step
 * makes each run (PSI per feature, KS for numeric features, against the spec's
 * `retrain.onDrift.psiThreshold`). Exit 0 when compared (drifted or not; `--json` says
 * which) — with `--fail-on-drift`, 1 when it drifted, for CI and cron checks — 1 when it cannot
 * compare (no champion, no baseline, unreadable file), 2 for usage.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { runAs } from "../lambdas/io/caller.ts";
import { stepDeps } from "../lambdas/step-handler.ts";
import { cellReadingOf, columnTypesForSpec } from "../pipeline/data/infer-schema.ts";
import { readTable } from "../pipeline/data/read-table.ts";
import { baselineKey, type DriftBaseline } from "../pipeline/drift/baseline.ts";
import { compareWithBaseline, type DriftComparison } from "../pipeline/drift/compare.ts";
import { ArtifactNotFoundError, DataFormatError, OrchardError } from "../pipeline/errors.ts";
import { formatFromUri } from "../pipeline/spec/source-uri.ts";
import { featureColumns } from "../pipeline/steps/drift.ts";
import { parse, UsageError } from "./args.ts";
import { DEFAULT_STATE_DIR, loadSpecFile, withLocalStores } from "./local/run-pipeline.ts";
import { fail } from "./report-error.ts";

const USAGE = `Usage: orchard drift <spec.yaml> --input FILE [--state-dir DIR] [--json] [--fail-on-drift]

Compares FILE with the data the pipeline's champion model was trained on: the
population stability index per feature (numeric by the champion data's deciles,
categorical by level, unseen levels counted) and the Kolmogorov-Smirnov statistic
for numeric features, against the spec's PSI threshold (retrain.onDrift).

  --input FILE     data to check: .csv, .tsv, .parquet, .jsonl or .ndjson
  --state-dir DIR  the local storage "orchard run" wrote (default .orchard)
  --json           print the whole comparison as one JSON object
  --fail-on-drift  exit 1 when the data drifted (after printing the comparison)`;

/** No champion, or a champion without a baseline: nothing to compare with. */
export class NoBaselineError extends OrchardError {}

export interface DriftCheck extends DriftComparison {
  pipeline: string;
  champion: string;
}

export async function checkDrift(options: {
  specPath: string;
  inputPath: string;
  stateDir?: string;
}): Promise<DriftCheck> {
  const { spec } = await loadSpecFile(options.specPath);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(options.inputPath));
  } catch (cause) {
    throw new DataFormatError(
      `input file ${options.inputPath} cannot be read: ${(cause as Error).message}; check --input`,
      { file: options.inputPath },
      { cause },
    );
  }
  const implied = formatFromUri(options.inputPath);
  const table = await readTable(bytes, {
    file: options.inputPath,
    format: implied?.format ?? spec.source.format,
    delimiter: implied?.delimiter ?? spec.source.delimiter,
    columnTypes: columnTypesForSpec(spec),
    reading: cellReadingOf(spec),
  });
  const stateDir = resolve(options.stateDir ?? DEFAULT_STATE_DIR);
  const runFirst = `run "orchard run ${options.specPath}" until a model is promoted`;
  if (!existsSync(stateDir)) {
    throw new NoBaselineError(
      `pipeline "${spec.name}" has no champion in ${stateDir}; ${runFirst}`,
    );
  }
  // An operator's check: it reads what the data scientist may read.
  return withLocalStores(stateDir, () =>
    runAs({ role: "data-scientist", pipeline: spec.name }, async () => {
      const deps = stepDeps();
      const champion = await deps.registry.getChampion(spec.name);
      if (!champion)
        throw new NoBaselineError(
          `pipeline "${spec.name}" has no champion in ${stateDir}; ${runFirst}`,
        );
      const uri = deps.artifacts.uriFor(
        "artifacts",
        baselineKey(spec.name, champion.lineage.dataSha256),
      );
      let baseline: DriftBaseline;
      try {
        baseline = JSON.parse(new TextDecoder().decode(await deps.artifacts.get(uri)));
      } catch (err) {
        if (!(err instanceof ArtifactNotFoundError)) throw err;
        throw new NoBaselineError(
          `champion ${champion.version} of "${spec.name}" has no drift baseline at ${uri} (trained before baselines were kept); ${runFirst} again`,
        );
      }
      return {
        pipeline: spec.name,
        champion: champion.version,
        ...compareWithBaseline(
          baseline,
          table,
          featureColumns(spec, table),
          spec.retrain.psiThreshold,
        ),
      };
    }),
  );
}

export function formatDrift(check: DriftCheck): string {
  const f = (x: number | null) => (x === null ? "—" : x.toFixed(4));
  const width = Math.max(7, ...check.features.map((x) => x.feature.length));
  const lines = [
    `Drift of ${check.rows} rows against champion ${check.champion} of ${check.pipeline} (${check.baselineRows} rows), PSI threshold ${check.threshold}:`,
    `  ${"feature".padEnd(width)}  kind         PSI       KS  missing  status`,
    ...check.features.map(
      (x) =>
        `  ${x.feature.padEnd(width)}  ${x.kind.padEnd(11)} ${f(x.psi).padStart(7)} ${f(x.ks).padStart(8)}  ${`${(x.missingShare * 100).toFixed(1)}%`.padStart(7)}  ${x.status}${x.unseenLevels.length > 0 ? ` (unseen: ${x.unseenLevels.join(", ")})` : ""}`,
    ),
    check.drifted
      ? `drift: yes, in ${check.driftedFeatures.join(", ")} (max PSI ${f(check.maxPsi)})`
      : `drift: no (max PSI ${f(check.maxPsi)} < ${check.threshold})`,
  ];
  return `${lines.join("\n")}\n`;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(
      argv,
      {
        input: { type: "string" },
        "state-dir": { type: "string" },
        json: { type: "boolean", default: false },
        "fail-on-drift": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      USAGE,
    );
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(`expected one spec file\n\n${USAGE}`);
    if (!values.input) throw new UsageError(`--input FILE is required\n\n${USAGE}`);
    const check = await checkDrift({
      specPath: positionals[0],
      inputPath: values.input,
      stateDir: values["state-dir"],
    });
    process.stdout.write(values.json ? `${JSON.stringify(check)}\n` : formatDrift(check));
    return values["fail-on-drift"] && check.drifted ? 1 : 0;
  } catch (err) {
    return fail("drift", err);
  }
}
