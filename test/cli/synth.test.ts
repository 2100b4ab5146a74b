/**
 * `orchard synth` over a clean checkout of HEAD: the same commit gives the same bytes, and the
 * manifest describes the stack (no machine-specific paths in it).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { addWorktree, type Worktree } from "../../cli/infra-review/worktree.ts";
import { main } from "../../cli/synth.ts";
import type { Manifest } from "../../infra/synth/manifest.ts";
import { stableJson } from "../../infra/synth/normalize.ts";
import { mandatoryFindings } from "../infra/mandatory-findings.ts";
import { headCommit, REPO } from "./diff-helpers.ts";

let worktree: Worktree;

beforeAll(async () => {
  worktree = await addWorktree(REPO, headCommit());
});

afterAll(async () => {
  await worktree.remove();
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** The exit code a manifest earns: 0, since the stacks have no mandatory violation. */
function expectedExit(manifest: Manifest, where: string): number {
  expect(mandatoryFindings(manifest.policy.findings), where).toEqual([]);
  return 0;
}

async function runSynth(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((s) => out.push(String(s)) > 0);
  vi.spyOn(process.stderr, "write").mockImplementation((s) => err.push(String(s)) > 0);
  const code = await main(argv);
  vi.restoreAllMocks();
  return { code, out: out.join(""), err: err.join("") };
}

describe("orchard synth", () => {
  it("prints byte-identical manifests twice on the same commit", async () => {
    const { dir } = worktree;
    const first = await runSynth(["--stack", "staging", "--json", "--repo", dir]);
    const second = await runSynth(["--stack", "staging", "--json", "--repo", dir]);
    expect(first.code).toBe(expectedExit(JSON.parse(first.out), "orchard synth staging"));
    expect(second.out).toBe(first.out);
    expect(first.out).not.toContain(dir);
    expect(first.out).not.toMatch(/orchard-bundles-|\/tmp\//);
  });

  it("describes the stack: resources, IAM per role, the state machine, schedules, code and policy", async () => {
    const outFile = path.join(mkdtempSync(path.join(tmpdir(), "orchard-synth-test-")), "m.json");
    const { code, out } = await runSynth([
      "--stack",
      "prod",
      "--repo",
      worktree.dir,
      "--out",
      outFile,
    ]);
    const text = readFileSync(outFile, "utf8");
    const manifest = JSON.parse(text) as Manifest;
    expect(code).toBe(expectedExit(manifest, "orchard synth prod"));
    expect(text).toBe(stableJson(manifest));
    // A second run, printing JSON: the same bytes as the first run's file.
    const again = await runSynth(["--stack", "prod", "--json", "--repo", worktree.dir]);
    expect(again.out).toBe(text);

    expect(manifest).toMatchObject({
      format: "orchard-synth/1",
      stack: "prod",
      region: "eu-west-1",
    });
    const ingestFn = manifest.resources.find((r) => r.name === "orchard-penguins-ingest-fn");
    expect(ingestFn?.inputs.code).toEqual({
      lambdaBundle: "ingest",
      sources: manifest.code.ingest.sha256,
    });
    expect(Object.keys(manifest.code.ingest.files)).toContain("lambdas/ingest.ts");
    expect(manifest.iam["orchard-access-penguins-ingest"].trust[0].principals).toEqual({
      Service: "lambda.amazonaws.com",
    });
    const sfn = manifest.stateMachines["orchard-penguins-sfn"];
    expect(sfn.startAt).toBe("Ingest");
    expect(sfn.edges).toContain("Ingest -> Validate (next)");
    expect(sfn.states.Ingest.retry?.[0].errors).toContain("TransientError");
    expect(manifest.schedules["orchard-penguins-schedule"]).toMatchObject({
      expression: "cron(0 4 * * ? *)",
      timeZone: "America/New_York",
      state: "ENABLED",
    });
    expect(out).toMatch(/^stack prod \(eu-west-1\): \d+ resources$/m);
    expect(out).toContain("orchard-penguins-schedule: cron(0 4 * * ? *) America/New_York ENABLED");
    expect(out).toContain(
      `policy: ${manifest.policy.mandatory} mandatory, ${manifest.policy.advisory} advisory`,
    );
    // Every finding is shown, the AWS-limit rules' included (infra/policy/limits.ts).
    for (const f of manifest.policy.findings) {
      expect(out).toContain(`  ${f.level} ${f.rule}: ${f.message}`);
    }
  });

  it.each([
    [[], 2, /--stack is required/],
    [["--stack", "prod", "x"], 2, /unexpected argument "x"/],
    [["--stack", "nope"], 1, /no stack file .*Pulumi\.nope\.yaml/],
  ])("exits %#: %j", async (argv, expected, message) => {
    const { code, err } = await runSynth(argv as string[]);
    expect(err).toMatch(message);
    expect(code).toBe(expected);
  });
});
