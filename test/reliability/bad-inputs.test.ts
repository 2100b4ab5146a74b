/**
 * The bad-input corpus (test/fixtures/bad/cases.json) through `orchard run`: every case exits
 * 1 with one clear message — the named error, where, what to do — and no stack trace, and
 * leaves the raw data and the champion untouched.
 *
 * All cases run in-process through the run command's `main(argv)` against one state directory
 * whose champion a good run promoted first; a sample from every failing state also runs as
 * spawned `bin/orchard.js` processes, as a user would.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_NAMES } from "../../cli/local/servers.ts";
import { BAD, errorText, hashTree, inProcess, orchard } from "./support.ts";

interface BadCase {
  id: string;
  what: string;
  error: string;
  state: "Start" | "Ingest" | "Validate" | "Preprocess";
  where: string;
  todo: string;
}

const CASES = JSON.parse(await readFile(join(BAD, "cases.json"), "utf8")) as BadCase[];

/** One case per failing state and format family, also run as a spawned process. */
const SPAWNED = [
  "spec-not-yaml",
  "source-missing",
  "csv-nul-bytes",
  "parquet-truncated",
  "more-classes-than-rows-allow",
];

/** The single message: the first line names the step and error; only "Also:" lists follow. */
function checkMessage(c: BadCase, stderr: string): void {
  const text = errorText(stderr);
  const [first, ...rest] = text.split("\n");
  const prefix = c.state === "Start" ? "orchard run: " : `orchard run: ${c.state} failed: `;
  expect(first.startsWith(`${prefix}${c.error}: `), first).toBe(true);
  // A spec typo in a required key is listed twice (unknown key, missing key): look at all of it.
  expect(text).toContain(c.where);
  expect(text).toContain(c.todo);
  // Continuation lines only: the other problems of the same input, indented.
  for (const line of rest) expect(line, text).toMatch(/^(Also:|\s+[-/])/);
  expect(text).not.toMatch(/^\s+at /m);
}

describe("the bad-input corpus", () => {
  let work: string;
  let state: string;
  let dataBefore: Record<string, string>;
  let rawBefore: Record<string, string>;

  const models = async () => {
    const r = await inProcess("models", [
      join(BAD, "good", "pipeline.yaml"),
      "--state-dir",
      state,
      "--json",
    ]);
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as { version: string; champion: boolean }[];
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "orchard-bad-"));
    state = join(work, "state");
    dataBefore = await hashTree(BAD);
    const good = await inProcess("run", [
      join(BAD, "good", "pipeline.yaml"),
      "--state-dir",
      state,
      "--json",
      "--no-progress",
    ]);
    expect(good.code, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ promoted: true, modelVersion: "v1" });
    rawBefore = await hashTree(join(state, "s3", LOCAL_NAMES.rawBucket));
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("has at least 40 cases, each naming its error, state, where and what to do", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map((c) => c.id)).size).toBe(CASES.length);
    for (const c of CASES) {
      expect(c.error, c.id).toMatch(/^[A-Z][A-Za-z]+Error$/);
      expect(c.where, c.id).not.toBe("");
      expect(c.todo, c.id).not.toBe("");
    }
  });

  it.each(CASES.map((c) => [c.id, c] as const))(
    "%s: exit 1, one message naming the error, where and what to do",
    async (_, c) => {
      const r = await inProcess("run", [
        join(BAD, c.id, "pipeline.yaml"),
        "--state-dir",
        state,
        "--json",
        "--no-progress",
      ]);
      expect(r.code).toBe(1);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({ status: "FAILED", promoted: false, modelVersion: null });
      expect(out.error).toMatchObject({ state: c.state, name: c.error });
      checkMessage(c, r.stderr);
    },
  );

  it("left the source files, the raw snapshots and the champion untouched", async () => {
    expect(await hashTree(BAD)).toEqual(dataBefore);
    const rawAfter = await hashTree(join(state, "s3", LOCAL_NAMES.rawBucket));
    // Failed runs may add snapshots of their own bytes; none of the earlier ones changed.
    for (const [path, sha] of Object.entries(rawBefore)) expect(rawAfter[path]).toBe(sha);
    expect((await models()).map((v) => [v.version, v.champion])).toEqual([["v1", true]]);
  });
});

describe.concurrent("bad inputs through the spawned orchard command", () => {
  it.for(SPAWNED)("%s", async (id, { expect: expectHere }) => {
    const c = CASES.find((x) => x.id === id) as BadCase;
    const work = await mkdtemp(join(tmpdir(), "orchard-bad-cli-"));
    try {
      // Relative spec path from the case's directory, as a user types it.
      const r = await orchard(["run", "pipeline.yaml", "--state-dir", join(work, "state")], {
        cwd: join(BAD, id),
      });
      expectHere(r.code).toBe(1);
      checkMessage(c, r.stderr);
      expectHere(r.stderr).not.toMatch(/^\s+at /m);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
