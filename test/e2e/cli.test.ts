/**
 * The `orchard` command as a user runs it: spawned processes of bin/orchard.js in a temp
 * project directory (relative spec, input and state paths), one state directory shared by the
 * sequential tests of a describe, because each run builds on the registry the last one left.
 */
import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_NAMES } from "../../cli/local/servers.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(REPO, "bin", "orchard.js");
const EXAMPLE = join(REPO, "examples", "penguins");

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exec(command: string, args: string[], cwd: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const orchard = (args: string[], cwd: string) => exec(process.execPath, [BIN, ...args], cwd);

/** The lines of stderr that are not progress lines ("orchard: <State> …"). */
const errorLines = (stderr: string) =>
  stderr
    .trim()
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("orchard: "));

/** The example's CSV as header + rows of cells (it has no quoted fields). */
async function exampleTable(): Promise<{ header: string[]; rows: string[][] }> {
  const [header, ...rows] = (await readFile(join(EXAMPLE, "penguins.csv"), "utf8"))
    .trim()
    .split("\n")
    .map((l) => l.split(","));
  return { header, rows };
}

const toCsv = (header: string[], rows: string[][]) =>
  `${[header, ...rows].map((r) => r.join(",")).join("\n")}\n`;

/** A copy of the example project (spec + data) under `dir`, with the CSV rewritten by `edit`. */
async function exampleProject(
  dir: string,
  edit?: (t: { header: string[]; rows: string[][] }) => string,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await copyFile(join(EXAMPLE, "pipeline.yaml"), join(dir, "pipeline.yaml"));
  if (edit) await writeFile(join(dir, "penguins.csv"), edit(await exampleTable()));
  else await copyFile(join(EXAMPLE, "penguins.csv"), join(dir, "penguins.csv"));
}

const dropColumn = (name: string) => (t: { header: string[]; rows: string[][] }) => {
  const c = t.header.indexOf(name);
  return toCsv(
    t.header.filter((_, i) => i !== c),
    t.rows.map((r) => r.filter((_, i) => i !== c)),
  );
};

const RUN_KEYS = [
  "error",
  "executionId",
  "gate",
  "metrics",
  "modelVersion",
  "pipeline",
  "promoted",
  "status",
];
const THREE_CLASS_METRICS = [
  "accuracy",
  "f1_macro",
  "log_loss",
  "precision_macro",
  "recall_macro",
  "roc_auc",
];

interface Listed {
  version: string;
  champion: boolean;
  status: string;
  lineage: { dataSha256: string };
}

describe("orchard in a user's project", () => {
  let work: string;
  const SPEC = "good/pipeline.yaml";
  const STATE = "state";
  const run = (spec: string) => orchard(["run", spec, "--state-dir", STATE, "--json"], work);
  const models = async (): Promise<Listed[]> => {
    const r = await orchard(["models", SPEC, "--state-dir", STATE, "--json"], work);
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout);
  };
  /** First Adelie, Gentoo and Chinstrap rows of the example, plus one with every measurement missing. */
  let sample: { header: string[]; rows: string[][] };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "orchard-e2e-"));
    await exampleProject(join(work, "good"));
    const { header, rows } = await exampleTable();
    const species = header.indexOf("species");
    const first = (s: string) => rows.find((r) => r[species] === s) as string[];
    const allMissing = rows.find((r) => r.slice(3, 7).every((c) => c === "")) as string[];
    sample = { header, rows: [first("Adelie"), first("Gentoo"), first("Chinstrap"), allMissing] };
    await writeFile(join(work, "sample.csv"), toCsv(header, sample.rows));
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("models before any run: a friendly line, exit 0, and no state directory created", async () => {
    const r = await orchard(["models", SPEC, "--state-dir", STATE], work);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^No model versions for pipeline "penguins" yet; run "orchard run/);
    await expect(readdir(join(work, STATE))).rejects.toThrow(/ENOENT/);
  });

  it("predict before any run: exit 1, one line telling the user to run the pipeline", async () => {
    const r = await orchard(["predict", SPEC, "--input", "sample.csv", "--state-dir", STATE], work);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(
      /NoChampionError: .*no champion model.*run "orchard run good\/pipeline\.yaml/,
    );
  });

  it("first run --json: exactly one JSON object, succeeded and promoted v1", async () => {
    const r = await run(SPEC);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(RUN_KEYS);
    expect(out).toMatchObject({
      status: "SUCCEEDED",
      pipeline: "penguins",
      promoted: true,
      modelVersion: "v1",
      error: null,
    });
    expect(Object.keys(out.metrics).sort()).toEqual(THREE_CLASS_METRICS);
    for (const value of Object.values(out.metrics)) expect(Number.isFinite(value)).toBe(true);
    expect(out.gate).toEqual({
      metric: "f1_macro",
      challenger: out.metrics.f1_macro,
      champion: null,
      championVersion: null,
      comparedRows: null,
      passed: true,
      reasons: expect.arrayContaining(["there is no champion yet"]),
    });
  });

  it("second run on the same data: registered v2, not promoted, the raw snapshot reused", async () => {
    const r = await run(SPEC);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      status: "SUCCEEDED",
      promoted: false,
      modelVersion: "v2",
    });
    // The same split: the champion is compared on every test row, none of which it trained on.
    expect(out.gate).toMatchObject({
      metric: "f1_macro",
      challenger: out.metrics.f1_macro,
      champion: out.metrics.f1_macro,
      championVersion: "v1",
      passed: false,
    });
    expect(out.gate.comparedRows).toBeGreaterThan(50);
    expect(out.gate.reasons.join("; ")).toMatch(
      new RegExp(`does not beat champion v1 .* on the ${out.gate.comparedRows} test rows`),
    );
    const listed = await models();
    expect(listed.map((v) => [v.version, v.champion, v.status])).toEqual([
      ["v2", false, "rejected"],
      ["v1", true, "approved"],
    ]);
    expect(listed[0].lineage.dataSha256).toBe(listed[1].lineage.dataSha256);
    // Content-addressed raw key: the same bytes were stored once, not twice (and so was the
    // table Ingest parsed them into).
    const raw = await readdir(join(work, STATE, "s3", LOCAL_NAMES.rawBucket, "penguins"));
    expect(raw.filter((f) => f.endsWith(".csv._S3rver_object"))).toHaveLength(1);
    expect(raw.filter((f) => f.endsWith(".table._S3rver_object"))).toHaveLength(1);
  });

  it("models (human): newest first with the champion starred", async () => {
    const r = await orchard(["models", SPEC, "--state-dir", STATE], work);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toContain("champion: v1");
    expect(lines[2].trim().split(/\s+/).slice(0, 3)).toEqual(["version", "status", "f1_macro"]);
    expect(lines.slice(3).map((l) => l.slice(0, 6))).toEqual(["   v2 ", "*  v1 "]);
  });

  let csvOutput: string;

  it("predict --input CSV: one JSON line per row, in order, species column ignored", async () => {
    const r = await orchard(["predict", SPEC, "--input", "sample.csv", "--state-dir", STATE], work);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(sample.rows.length);
    const predictions = lines.map((l) => JSON.parse(l));
    for (const p of predictions) {
      expect(Object.keys(p).sort()).toEqual(["prediction", "probabilities"]);
      expect(Object.keys(p.probabilities).sort()).toEqual(["Adelie", "Chinstrap", "Gentoo"]);
      const sum = Object.values(p.probabilities as Record<string, number>).reduce((a, b) => a + b);
      expect(sum).toBeCloseTo(1, 9);
      expect(p.probabilities[p.prediction]).toBe(
        Math.max(...Object.values<number>(p.probabilities)),
      );
    }
    // The three complete rows are typical of their species: the champion gets them right.
    expect(predictions.slice(0, 3).map((p) => p.prediction)).toEqual([
      "Adelie",
      "Gentoo",
      "Chinstrap",
    ]);
    csvOutput = r.stdout;
  });

  it("predict --input JSON Lines: the same rows give the same output", async () => {
    const { header } = sample;
    const numeric = new Set([
      "bill_length_mm",
      "bill_depth_mm",
      "flipper_length_mm",
      "body_mass_g",
    ]);
    const jsonl = sample.rows
      .map((row) =>
        JSON.stringify(
          Object.fromEntries(
            header
              .map((name, c) => [name, row[c]] as const)
              .filter(([name]) => name !== "species")
              .map(([name, cell]) => [
                name,
                cell === "" ? null : numeric.has(name) ? Number(cell) : cell,
              ]),
          ),
        ),
      )
      .join("\n");
    await writeFile(join(work, "sample.jsonl"), `${jsonl}\n`);
    const r = await orchard(
      ["predict", SPEC, "--input", "sample.jsonl", "--state-dir", STATE],
      work,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(csvOutput);
  });

  it("predict --input DIR scores every file under it into predictions files next to them", async () => {
    await mkdir(join(work, "to-score", "more"), { recursive: true });
    await copyFile(join(work, "sample.csv"), join(work, "to-score", "a.csv"));
    await copyFile(join(work, "sample.jsonl"), join(work, "to-score", "more", "b.jsonl"));
    const r = await orchard(["predict", SPEC, "--input", "to-score", "--state-dir", STATE], work);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ fileCount: 2, rowCount: 2 * sample.rows.length });
    const jsonl = await readFile(join(work, "to-score", "more", "b.predictions.jsonl"), "utf8");
    // The same rows, the same predictions as predict --input prints them.
    expect(jsonl).toBe(csvOutput);
    const csv = (await readFile(join(work, "to-score", "a.predictions.csv"), "utf8")).split("\n");
    expect(csv[0]).toMatch(
      /,prediction,probability_Adelie,probability_Chinstrap,probability_Gentoo$/,
    );
  });

  it("predict --version: a registered version predicts; an unknown one or a malformed id is refused", async () => {
    const args = ["predict", SPEC, "--input", "sample.csv", "--state-dir", STATE];
    const v2 = await orchard([...args, "--version", "v2"], work);
    expect(v2.code).toBe(0);
    // v2 was trained on the same data with the same seed as v1: the same predictions.
    expect(v2.stdout).toBe(csvOutput);
    const unknown = await orchard([...args, "--version", "v9"], work);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /has no model version v9; list the versions with "orchard models"/,
    );
    const malformed = await orchard([...args, "--version", "2"], work);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/--version "2" is not a version id; expected v1, v2/);
  });

  it.each([
    [
      "a missing feature column",
      dropColumn("bill_depth_mm"),
      /row 1 has no column "bill_depth_mm"/,
    ],
    [
      "a text value in a numeric column",
      (t: { header: string[]; rows: string[][] }) =>
        toCsv(
          t.header,
          t.rows
            .slice(0, 3)
            .map((r, i) => (i === 1 ? r.with(t.header.indexOf("flipper_length_mm"), "tall") : r)),
        ),
      /row 2, column "flipper_length_mm": expected a finite number, found "tall"/,
    ],
  ])(
    "predict with %s: exit 1, one line naming row and column, nothing on stdout",
    async (_, edit, message) => {
      await writeFile(join(work, "broken.csv"), edit(await exampleTable()));
      const r = await orchard(
        ["predict", SPEC, "--input", "broken.csv", "--state-dir", STATE],
        work,
      );
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain("broken.csv");
    },
  );

  it.each([
    ["the target column missing", dropColumn("species"), "MissingColumnError", /column "species"/],
    [
      "a single class",
      (t: { header: string[]; rows: string[][] }) =>
        toCsv(
          t.header,
          t.rows.map((r) => r.with(t.header.indexOf("species"), "Adelie")),
        ),
      "TargetError",
      /single class/,
    ],
  ])("bad data (%s): run fails in Validate, the champion untouched", async (_, edit, name, why) => {
    const dir = `bad-${name}`;
    await exampleProject(join(work, dir), edit);
    const r = await run(`${dir}/pipeline.yaml`);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ status: "FAILED", promoted: false, modelVersion: null });
    expect(out.error).toMatchObject({ state: "Validate", name });
    const [line] = errorLines(r.stderr);
    expect(line).toContain(`orchard run: Validate failed: ${name}`);
    expect(line).toContain(`${dir}/penguins.csv`);
    expect(line).toMatch(why);
    const listed = await models();
    expect(listed.map((v) => [v.version, v.champion])).toEqual([
      ["v2", false],
      ["v1", true],
    ]);
  });
});

// Independent short-lived processes: run side by side to keep the file fast.
describe.concurrent("orchard usage", () => {
  it.for([
    ["run with no spec", ["run"]],
    ["run with an unknown flag", ["run", "spec.yaml", "--bogus"]],
    ["predict with no --input", ["predict", "spec.yaml"]],
    ["predict with no spec", ["predict", "--input", "rows.csv"]],
    ["predict with an unknown input format", ["predict", "spec.yaml", "--input", "rows.txt"]],
    ["models with an unknown flag", ["models", "spec.yaml", "--verbose"]],
    ["an unknown command", ["train"]],
  ] as const)("%s → exit 2 with usage on stderr", async ([, args], { expect }) => {
    const r = await orchard([...args], REPO);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/Usage: orchard/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it.for([
    ["runn", ["runn"], /unknown command "runn": did you mean "run"\?/],
    [
      "--no-cach",
      ["run", "spec.yaml", "--no-cach"],
      /unknown option --no-cach: did you mean --no-cache\?/,
    ],
    [
      "--state-dir without a value",
      ["run", "spec.yaml", "--state-dir"],
      /option --state-dir needs a value/,
    ],
    ["--json=yes", ["models", "spec.yaml", "--json=yes"], /option --json takes no value/],
    ["cloud lst", ["cloud", "lst"], /unknown subcommand "lst": did you mean "list"\?/],
  ] as const)(
    "%s → exit 2 in Orchard's words, not Node's parser text",
    async ([, args, said], { expect }) => {
      const r = await orchard([...args], REPO);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(said);
      expect(r.stderr).not.toMatch(/Unknown option '|argument missing|ERR_PARSE_ARGS/);
    },
  );

  it.for(["--version", "-V"])(
    "orchard %s prints the package's version",
    async (flag, { expect }) => {
      const pkg = JSON.parse(await readFile(join(REPO, "package.json"), "utf8")) as {
        version: string;
      };
      const r = await orchard([flag], REPO);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${pkg.version}\n`);
    },
  );

  it("npx orchard --help from the repo root prints the commands", async ({ expect }) => {
    const r = await exec("npx", ["orchard", "--help"], REPO);
    expect(r.code).toBe(0);
    for (const command of ["run", "predict", "models"]) {
      expect(r.stdout).toMatch(new RegExp(`^  ${command} <spec\\.yaml>`, "m"));
    }
  });
});

describe("a pipeline whose gate rejects every model", () => {
  let work: string;
  const STATE = "state";

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "orchard-e2e-gate-"));
    await exampleProject(join(work, "strict"));
    const spec = await readFile(join(work, "strict", "pipeline.yaml"), "utf8");
    // A perfect macro F1 on the test rows: the seeded run scores 0.989, so the gate rejects it.
    await writeFile(
      join(work, "strict", "pipeline.yaml"),
      spec.replace("  minimum: 0.9\n", "  minimum: 1\n"),
    );
    const { header, rows } = await exampleTable();
    await writeFile(join(work, "sample.csv"), toCsv(header, rows.slice(0, 5)));
  });

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("predict names the gate's verdict and the value, and --version predicts with the rejected model", async () => {
    const spec = "strict/pipeline.yaml";
    const run = await orchard(["run", spec, "--state-dir", STATE, "--json"], work);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ promoted: false, modelVersion: "v1" });
    const f1 = Number(out.metrics.f1_macro.toPrecision(6));
    const args = ["predict", spec, "--input", "sample.csv", "--state-dir", STATE];
    const refused = await orchard(args, work);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `the newest model v1 was rejected by the gate (gate.metric f1_macro): f1_macro ${f1} is below the minimum 1; change gate.minimum in the spec or improve the model, then run again; or predict with a registered version: --version v1`,
    );
    const chosen = await orchard([...args, "--version", "v1"], work);
    expect(chosen.code).toBe(0);
    expect(chosen.stdout.trimEnd().split("\n")).toHaveLength(5);
  });
});
