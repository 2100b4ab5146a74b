/**
 * Issue 19's must-show, end to end and under the deployed IAM: a run promotes a champion;
 * `orchard serve` answers predictions and captures them (as predict's role, written in
 * batches under capture/, flushed on shutdown); labels sent to POST /feedback make the
 * champion look worse than the gate's minimum; `orchard monitor` raises the alarm and starts a
 * retrain run whose reason is the alarm; a second Monitor run within the cool-down starts none.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { runLocally, withLocalStores } from "../../cli/local/run-pipeline.ts";
import { monitorLocally } from "../../cli/monitor.ts";
import { serve } from "../../cli/serve.ts";
import { parseCaptureLines } from "../../pipeline/monitor/capture.ts";
import { REQUEST_ID_HEADER } from "../../pipeline/serving/handle.ts";
import { activeEnforcement } from "../support/iam-enforcement.ts";

const csv = readFileSync(
  fileURLToPath(new URL("../../examples/penguins/penguins.csv", import.meta.url)),
  "utf8",
);
const dir = mkdtempSync(join(tmpdir(), "orchard-monitor-"));
const stateDir = join(dir, "state");
const specPath = join(dir, "watched.yaml");
writeFileSync(join(dir, "penguins.csv"), csv);
writeFileSync(
  specPath,
  `name: watched
source: { uri: penguins.csv }
target: species
task: classification
id: penguin_id
model: { trees: 20 }
gate: { minimum: 0.8 }
monitor:
  capture: { exclude: [email] }
  minLabels: 20
  coolDownMinutes: 60
`,
);

const [header, ...lines] = csv.trim().split("\n");
const columns = header.split(",");
const records = lines.slice(0, 40).map((line) => {
  const cells = line.split(",");
  return Object.fromEntries(columns.map((c, i) => [c, cells[i]]));
});
const SPECIES = ["Adelie", "Chinstrap", "Gentoo"];

beforeAll(async () => {
  const first = await runLocally({ specPath, stateDir });
  expect(first.championAfter?.version).toBe("v1");
});

describe("serve → capture → feedback → monitor → retrain", () => {
  it("raises the alarm on labels that make the champion look worse, and starts a retrain", async () => {
    const iam = activeEnforcement();
    if (!iam) throw new Error("this suite runs under the IAM-enforced project (vitest.config.ts)");
    iam.reset();

    const served = await withLocalStores(stateDir, async () => {
      const { spec } = await import("../../cli/local/run-pipeline.ts").then((m) =>
        m.loadSpecFile(specPath),
      );
      const command = await serve({
        pipeline: spec.name,
        port: 0,
        capture: spec.monitor.capture,
        idColumn: spec.id,
        signals: [],
      });
      const answers: { requestId: string; prediction: string }[] = [];
      for (const record of records) {
        const { species: _truth, ...row } = record;
        const res = await fetch(`${command.server.url}/predict`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ rows: [{ ...row, email: "someone@example.com" }] }),
        });
        expect(res.status).toBe(200);
        const body = (await res.json()) as { predictions: { prediction: string }[] };
        answers.push({
          requestId: res.headers.get(REQUEST_ID_HEADER) ?? "",
          prediction: body.predictions[0].prediction,
        });
      }
      // Nothing was written while serving: capture waits for its batch.
      expect(command.capture?.counters.written).toBe(0);
      // The outcome was always another species than predicted (one label sent twice, the
      // later one wins), by request id, and a few by the entity id.
      const wrong = (p: string) => SPECIES.find((s) => s !== p) ?? "Adelie";
      const labels: Record<string, string>[] = answers.map(
        (a, i): Record<string, string> =>
          i < 35
            ? { requestId: a.requestId, label: wrong(a.prediction) }
            : { id: records[i].penguin_id, label: wrong(a.prediction) },
      );
      // Older than the label above: it arrives late and does not win.
      labels.push({
        requestId: answers[0].requestId,
        label: answers[0].prediction,
        at: "2000-01-01T00:00:00Z",
      });
      const res = await fetch(`${command.server.url}/feedback`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ labels }),
      });
      expect(res.status).toBe(202);
      await command.stop();
      return command.capture?.counters;
    });
    expect(served).toMatchObject({ rows: 40, written: 40, objects: 1 });

    const result = await monitorLocally({ specPath, stateDir });
    const { report, retrain } = result.monitor;
    expect(report.champion).toBe("v1");
    expect(report.captured).toBe(40);
    expect(report.labeled).toBe(40);
    expect(report.duplicateLabels).toBe(1);
    expect(report.gate).toMatchObject({
      metric: "accuracy",
      bound: 0.8,
      value: 0,
      verdict: "alarm",
    });
    expect(report.drift?.rows).toBe(40);
    expect(retrain.start).toBe(true);
    const run = result.retrainRun;
    expect(run?.result.status).toBe("SUCCEEDED");
    expect(run?.state?.run.reason).toMatch(
      /^monitor alarm: live accuracy of v1 is 0 on 40 labeled/,
    );
    expect(readFileSync(result.htmlPath, "utf8")).toContain("Monitor: watched");

    // Every storage call was allowed to its role: predict captured and stored labels, the
    // Monitor read them.
    expect(iam.denied).toEqual([]);
    const roles = new Set(iam.decisions.map((d) => d.role));
    expect(roles).toContain("predict");
    expect(roles).toContain("monitor");

    // Within the cool-down the alarm stands and nothing starts.
    const again = await monitorLocally({ specPath, stateDir });
    expect(again.monitor.report.alarm).toBe(true);
    expect(again.retrainRun).toBeNull();
    expect(again.monitor.retrain.reason).toMatch(/within monitor\.coolDownMinutes 60/);
  });

  it("captured records leave out the excluded column and keep the entity id", async () => {
    const objects = await withLocalStores(stateDir, async () => {
      const { stepDeps } = await import("../../lambdas/step-handler.ts");
      const { artifactKeyLister } = await import("../../lambdas/io/list-keys.ts");
      const { artifacts } = stepDeps();
      const keys = await artifactKeyLister(artifacts)("watched/capture/");
      return Promise.all(keys.map((k) => artifacts.get(artifacts.uriFor("artifacts", k))));
    });
    const captured = objects.flatMap((bytes) => parseCaptureLines(bytes));
    expect(captured).toHaveLength(40);
    expect(captured[0].id).toBe("p001");
    expect(captured[0].inputs).not.toHaveProperty("email");
    expect(captured[0].inputs).toHaveProperty("island");
  });

  it("orchard feedback stores a CSV of labels by id, and orchard monitor --json reports them", async () => {
    const labels = join(dir, "late-labels.csv");
    // p001's outcome again, later: it replaces the label sent before (a duplicate, counted).
    writeFileSync(labels, "id,label,at\np001,Adelie,2030-01-01T00:00:00Z\n");
    const out = await cli(
      () => import("../../cli/feedback.ts"),
      [specPath, "--input", labels, "--state-dir", stateDir],
    );
    expect(out).toMatchObject({ code: 0 });
    expect(out.stdout).toMatch(
      /^stored 1 labels for watched at watched\/labels\/\d{4}-\d\d-\d\d\/\d\d\//,
    );

    const bad = join(dir, "bad-labels.jsonl");
    writeFileSync(bad, '{"requestId": "r1", "label": "Adelie"}\n{"label": "Gentoo"}\n');
    const refused = await cli(
      () => import("../../cli/feedback.ts"),
      [specPath, "--input", bad, "--state-dir", stateDir],
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("line 2 names no prediction");

    const monitored = await cli(
      () => import("../../cli/monitor.ts"),
      [specPath, "--state-dir", stateDir, "--json", "--no-retrain"],
    );
    expect(monitored.code).toBe(0);
    const json = JSON.parse(monitored.stdout);
    expect(json).toMatchObject({
      pipeline: "watched",
      alarm: true,
      captured: 40,
      duplicateLabels: 2,
    });
    expect(json.gate.value).toBeLessThan(0.8);
    expect(json.retrain.started).toBe(false);
  });
});

async function cli(
  load: () => Promise<{ main(argv: string[]): Promise<number> }>,
  argv: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await load();
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
