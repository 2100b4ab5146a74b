/**
 * `orchard feedback <spec.yaml> --input FILE [--state-dir DIR]`: sends true outcomes back, as
 * a file of labels: JSON Lines (one `{"requestId"|"id","label","at"?,"reward"?}` per line) or
 * a CSV with those columns. Every line is checked first (a bad one is an error naming its
 * line and field, and nothing is stored); then they are stored as one object under
 * `artifacts/<pipeline>/labels/`, where `orchard monitor` joins them with the captures.
 * Late and repeated labels are fine: per prediction the latest `at` wins (counted).
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { runAs } from "../lambdas/io/caller.ts";
import { stepDeps } from "../lambdas/step-handler.ts";
import { csvRows } from "../pipeline/data/read-rows.ts";
import { DataFormatError, OrchardError } from "../pipeline/errors.ts";
import { type LabelRecord, readLabel } from "../pipeline/monitor/labels.ts";
import { storeLabels } from "../pipeline/monitor/store.ts";
import { parse, UsageError } from "./args.ts";
import { DEFAULT_STATE_DIR, loadSpecFile, withLocalStores } from "./local/run-pipeline.ts";
import { fail } from "./report-error.ts";

const USAGE = `Usage: orchard feedback <spec.yaml> --input FILE [--state-dir DIR]

Stores true outcomes for served predictions, for orchard monitor. FILE is JSON Lines
({"requestId": "…" or "id": "…", "label": …, "at": "2026-12-03T10:00:00Z"}) or a CSV
with the columns requestId or id, label, and optionally at and reward.

  --input FILE     the labels (.jsonl, .ndjson or .csv)
  --state-dir DIR  the local storage "orchard run" wrote (default .orchard)`;

/** Reads and checks every label of a file; a DataFormatError names the line and the field. */
export function readLabelFile(bytes: Uint8Array, file: string, receivedAt: Date): LabelRecord[] {
  const rows: unknown[] = file.endsWith(".csv")
    ? csvRows(bytes, file).map((row) =>
        Object.fromEntries(
          Object.entries(row)
            .filter(([, v]) => v !== "" && v !== null && v !== undefined)
            .map(([k, v]) => [k, k === "reward" ? Number(v) : v]),
        ),
      )
    : new TextDecoder()
        .decode(bytes)
        .split("\n")
        .map((line, i) => ({ line: line.trim(), n: i + 1 }))
        .filter((x) => x.line !== "")
        .map(({ line, n }) => {
          try {
            return JSON.parse(line);
          } catch (cause) {
            throw new DataFormatError(
              `${file}, line ${n}: not JSON (${(cause as Error).message})`,
              { file, row: n },
              { cause },
            );
          }
        });
  return rows.map((row, i) => {
    try {
      return readLabel(row, i + 1, receivedAt);
    } catch (err) {
      if (!(err instanceof OrchardError)) throw err;
      throw new DataFormatError(`${file}: ${err.message.replace(/^label /, "line ")}`, {
        file,
        row: i + 1,
        ...(err.location.column !== undefined ? { column: err.location.column } : {}),
      });
    }
  });
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(
      argv,
      {
        input: { type: "string" },
        "state-dir": { type: "string" },
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
    const { spec } = await loadSpecFile(positionals[0]);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(values.input));
    } catch (cause) {
      throw new DataFormatError(
        `input file ${values.input} cannot be read: ${(cause as Error).message}; check --input`,
        { file: values.input },
        { cause },
      );
    }
    const labels = readLabelFile(bytes, values.input, new Date());
    if (labels.length === 0)
      throw new DataFormatError(`${values.input} has no labels`, { file: values.input });
    const stateDir = resolve(values["state-dir"] ?? DEFAULT_STATE_DIR);
    if (!existsSync(stateDir)) {
      throw new UsageError(
        `--state-dir ${stateDir} does not exist: run "orchard run ${positionals[0]}" first`,
      );
    }
    // Labels arrive as POST /feedback would send them: as the serving role.
    const key = await withLocalStores(stateDir, () =>
      runAs({ role: "predict", pipeline: spec.name }, () =>
        storeLabels(stepDeps().artifacts, spec.name, labels),
      ),
    );
    process.stdout.write(`stored ${labels.length} labels for ${spec.name} at ${key}\n`);
    return 0;
  } catch (err) {
    return fail("feedback", err);
  }
}
