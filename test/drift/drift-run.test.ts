/**
 * The Retrain Choice in real local runs with `retrain: on-drift`: the first run trains (no
 * champion to compare with), the same data again ends as NoDrift with its report and without
 * training, and shifted data trains again. `orchard drift` agrees on both files.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { checkDrift } from "../../cli/drift.ts";
import { type LocalRun, runLocally, withLocalStores } from "../../cli/local/run-pipeline.ts";
import { stepDeps } from "../../lambdas/step-handler.ts";
import { reportKey } from "../../pipeline/report/location.ts";

const csv = readFileSync(
  fileURLToPath(new URL("../../examples/penguins/penguins.csv", import.meta.url)),
  "utf8",
);
const dir = mkdtempSync(join(tmpdir(), "orchard-drift-"));
const stateDir = join(dir, "state");

/** Heavier penguins with longer flippers: the same columns, shifted distributions. */
function shifted(text: string): string {
  const [header, ...lines] = text.trim().split("\n");
  const cols = header.split(",");
  const mass = cols.indexOf("body_mass_g");
  const flipper = cols.indexOf("flipper_length_mm");
  const out = lines.map((line) => {
    const cells = line.split(",");
    if (cells[mass] !== "") cells[mass] = String(Number(cells[mass]) * 1.4);
    if (cells[flipper] !== "") cells[flipper] = String(Number(cells[flipper]) + 25);
    return cells.join(",");
  });
  return `${[header, ...out].join("\n")}\n`;
}

function spec(file: string, data: string): string {
  writeFileSync(join(dir, `${file}.csv`), data);
  const path = join(dir, `${file}.yaml`);
  writeFileSync(
    path,
    `name: drifting
source: { uri: ${file}.csv }
target: species
task: classification
id: penguin_id
model: { trees: 20 }
search: { folds: 3 }
retrain: { onDrift: { psiThreshold: 0.25 } }
`,
  );
  return path;
}

const original = spec("original", csv);
const moved = spec("shifted", shifted(csv));
const top = (run: LocalRun) =>
  run.result.states.filter((s) => s.iteration === undefined).map((s) => s.name);
let first: LocalRun;
let same: LocalRun;
let drifted: LocalRun;

beforeAll(async () => {
  first = await runLocally({ specPath: original, stateDir });
  same = await runLocally({ specPath: original, stateDir });
  drifted = await runLocally({ specPath: moved, stateDir });
}, 120_000);

describe("retrain: on-drift in local runs", () => {
  it("trains the first run: there is no champion to compare with", () => {
    expect(first.result.status).toBe("SUCCEEDED");
    expect(first.state?.drift).toMatchObject({ retrain: true, champion: null, reportUri: null });
    expect(top(first)).toEqual(
      expect.arrayContaining(["Drift", "Retrain", "Preprocess", "Report", "Promote"]),
    );
    expect(first.championAfter?.version).toBe("v1");
  });

  it("ends the same data again as NoDrift, with a report and without training", async () => {
    expect(same.result.status).toBe("SUCCEEDED");
    expect(same.result.endState).toBe("NoDrift");
    expect(top(same)).toEqual([
      "Ingest",
      "Validate",
      "Drift",
      "Retrain",
      "ReportNoDrift",
      "NoDrift",
    ]);
    expect(same.state?.drift).toMatchObject({
      retrain: false,
      drifted: false,
      champion: "v1",
      maxPsi: 0,
    });
    expect(same.championAfter?.version).toBe("v1");
    const html = new TextDecoder().decode(
      await withLocalStores(stateDir, () =>
        stepDeps().artifacts.get(same.state!.report!.reportUri),
      ),
    );
    expect(same.state?.report?.reportUri).toContain(reportKey("drifting", same.result.executionId));
    expect(html).toContain("no drift");
    expect(html).toContain('id="drift-h"');
  });

  it("trains again when the data shifted, naming the drifted features", () => {
    expect(drifted.result.status).toBe("SUCCEEDED");
    expect(top(drifted)).toEqual(
      expect.arrayContaining(["Retrain", "Preprocess", "Train", "Report", "Gate"]),
    );
    expect(drifted.state?.drift?.retrain).toBe(true);
    expect(drifted.state?.drift?.driftedFeatures).toEqual(
      expect.arrayContaining(["body_mass_g", "flipper_length_mm"]),
    );
    expect(drifted.state?.drift?.maxPsi).toBeGreaterThan(0.25);
  });
});

describe("orchard drift", () => {
  // The third run promoted the model trained on the shifted data (it beat v1 re-scored there).
  it.each([
    ["the new champion's own data", "shifted.csv", false],
    ["the data before the shift", "original.csv", true],
  ])("compares %s with the champion's training data", async (_, file, expected) => {
    expect(drifted.championAfter?.version).toBe("v2");
    const check = await checkDrift({ specPath: original, inputPath: join(dir, file), stateDir });
    expect(check.champion).toBe("v2");
    expect(check.drifted).toBe(expected);
    expect(check.features.map((f) => f.feature).sort()).toEqual([
      "bill_depth_mm",
      "bill_length_mm",
      "body_mass_g",
      "flipper_length_mm",
      "island",
      "sex",
    ]);
  });

  it.each([
    ["drifted data with --fail-on-drift", "original.csv", ["--fail-on-drift"], 1],
    ["undrifted data with --fail-on-drift", "shifted.csv", ["--fail-on-drift"], 0],
    ["drifted data without it", "original.csv", [], 0],
  ])("exits as a check would on %s", async (_, file, flags, code) => {
    const { main } = await import("../../cli/drift.ts");
    const out: string[] = [];
    const write = vi
      .spyOn(process.stdout, "write")
      .mockImplementation((s) => out.push(String(s)) > 0);
    try {
      const args = [original, "--input", join(dir, file), "--state-dir", stateDir, "--json"];
      expect(await main([...args, ...flags])).toBe(code);
    } finally {
      write.mockRestore();
    }
    expect(JSON.parse(out.join("")).drifted).toBe(file === "original.csv");
  });

  it("says what to do when the pipeline has no champion", async () => {
    await expect(
      checkDrift({
        specPath: original,
        inputPath: join(dir, "original.csv"),
        stateDir: join(dir, "empty"),
      }),
    ).rejects.toThrow(/no champion .*orchard run/);
  });
});
