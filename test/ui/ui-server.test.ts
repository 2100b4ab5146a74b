import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../cli/ui/run-records.ts";
import { route } from "../../cli/ui/server.ts";
import { main } from "../../cli/ui.ts";

const stateDir = mkdtempSync(join(tmpdir(), "orchard-ui-unit-"));
const runs = join(stateDir, "runs", "demo");
mkdirSync(runs, { recursive: true });
const record: RunRecord = {
  pipeline: "demo",
  executionId: "e1",
  status: "FAILED",
  endState: "Failed",
  startedAt: 0,
  durationMs: 1200,
  states: [{ name: "Validate", status: "FAILED", durationMs: 30, attempts: 1, runs: 1 }],
  metrics: {},
  modelVersion: null,
  promoted: false,
  championBefore: null,
  championAfter: null,
  drift: null,
  error: {
    state: "Validate",
    name: "TargetError",
    message: 'target <script>"y"</script> is empty',
  },
  reportUri: "s3://orchard-artifacts/demo/reports/e1.html",
  reportFile: "e1.html",
};
writeFileSync(join(runs, "e1.json"), JSON.stringify(record));
writeFileSync(join(runs, "e1.html"), "<!doctype html><title>r</title>");

const body = async (path: string) => {
  const r = await route(stateDir, path);
  return {
    status: r.status,
    text: String(r.body instanceof Uint8Array ? Buffer.from(r.body) : r.body),
  };
};

describe("orchard ui routes", () => {
  it("lists a pipeline whose only run failed, naming where", async () => {
    const { status, text } = await body("/");
    expect(status).toBe(200);
    expect(text).toContain('<a href="/pipelines/demo">demo</a>');
    expect(text).toContain("failed in Validate");
  });

  it("escapes an error message from the data on the run page", async () => {
    const { text } = await body("/pipelines/demo/runs/e1");
    expect(text).not.toContain("<script>");
    expect(text).toContain("&lt;script&gt;&quot;y&quot;&lt;/script&gt;");
  });

  it("serves the copied report", async () => {
    expect(await body("/pipelines/demo/runs/e1/report")).toEqual({
      status: 200,
      text: "<!doctype html><title>r</title>",
    });
  });

  it.each([
    "/pipelines/other",
    "/pipelines/demo/runs/e2",
    "/pipelines/demo/runs/e1/x",
    "/p/..%2F..",
    "/pipelines/%2E%2E",
  ])("answers %s with 404", async (path) => {
    expect((await body(path)).status).toBe(404);
  });

  it("says how to get started when nothing ran yet", async () => {
    const { text } = await route(join(stateDir, "none"), "/").then((r) => ({
      text: String(r.body),
    }));
    expect(text).toContain("No runs recorded");
  });
});

describe("orchard ui arguments", () => {
  it.each([[["--port", "http"]], [["--port", "70000"]], [["extra"]]])(
    "rejects %j as a usage error",
    async (argv) => {
      expect(await main(argv)).toBe(2);
    },
  );
});
