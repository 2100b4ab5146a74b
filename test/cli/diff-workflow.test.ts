/**
 * .github/workflows/infra-review.yml asks for what `orchard diff` offers: both stacks against
 * the PR's base, options the command accepts, one comment that fits GitHub's limit, and a
 * cloud preview only when credentials exist.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { main } from "../../cli/diff.ts";
import { REPO } from "./diff-helpers.ts";

interface Step {
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<
    string,
    { steps: Step[]; env?: Record<string, string>; strategy?: { matrix: { node?: number[] } } }
  >;
}

const workflow = parse(
  readFileSync(path.join(REPO, ".github", "workflows", "infra-review.yml"), "utf8"),
) as Workflow;
const review = workflow.jobs.review.steps;
const diffStep = review.find((s) => s.run?.includes("bin/orchard.js diff"));

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the infra-review workflow", () => {
  it("runs on pull requests: npm ci then npm test on Node 20 and 22, and npm ci then orchard diff", () => {
    expect(Object.keys(workflow.on)).toEqual(["pull_request"]);
    const test = workflow.jobs.test;
    expect(test.strategy?.matrix.node).toEqual([20, 22]);
    const testRuns = test.steps.map((s) => s.run ?? "");
    expect(testRuns.filter(Boolean)).toEqual(["npm ci --no-audit --no-fund", "npm test"]);
    const runs = review.map((s) => s.run ?? "");
    const at = (text: string) => runs.findIndex((r) => r.includes(text));
    expect(at("npm ci")).toBeGreaterThan(-1);
    expect(at("bin/orchard.js diff")).toBeGreaterThan(at("npm ci"));
  });

  it("tests exactly the Node lines package.json's engines names", () => {
    const { engines } = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as {
      engines: { node: string };
    };
    const lines = [...engines.node.matchAll(/\^(\d+)\./g)].map((m) => Number(m[1]));
    expect(lines).toEqual(workflow.jobs.test.strategy?.matrix.node);
  });

  it("diffs both stacks against origin/<base branch> with options orchard diff accepts", async () => {
    expect(diffStep?.env?.BASE_REF).toMatch(/^origin\/\$\{\{ github\.base_ref \}\}$/);
    expect(diffStep?.run).toMatch(/for stack in staging prod/);
    const out: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((s) => out.push(String(s)) > 0);
    expect(await main(["--help"])).toBe(0);
    const flags = diffStep?.run?.match(/--[a-z-]+/g) ?? [];
    expect(flags.length).toBeGreaterThan(3);
    for (const flag of flags) expect(out.join("")).toContain(flag);
  });

  it("posts one comment that fits GitHub's 65,536 characters", () => {
    const perStack = Number(diffStep?.run?.match(/--max-chars (\d+)/)?.[1]);
    const header = 200;
    expect(2 * perStack + header).toBeLessThan(65_536);
    const comment = review.find((s) => s.uses?.startsWith("actions/github-script"));
    expect(String(comment?.with?.script)).toContain("updateComment");
  });

  it("previews with pulumi/actions only when cloud credentials are configured", () => {
    const preview = workflow.jobs.preview;
    expect(preview.env?.CLOUD_PREVIEW).toContain("secrets.AWS_ROLE_ARN");
    const pulumiStep = preview.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(pulumiStep?.if).toBe("env.CLOUD_PREVIEW == 'true'");
    expect(pulumiStep?.with).toMatchObject({
      command: "preview",
      diff: true,
      "comment-on-pr": true,
    });
  });
});
