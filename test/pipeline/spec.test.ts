import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SpecError } from "../../pipeline/errors.ts";
import { parseSpec } from "../../pipeline/spec/parse-spec.ts";

const FILE = "pipelines/p.yaml";

/** A minimal valid spec (5 lines) followed by `extra`, which therefore starts on line 6. */
function specWith(extra = "", task = "classification", uri = "data.csv"): string {
  return `name: p\nsource:\n  uri: ${uri}\ntarget: y\ntask: ${task}\n${extra}`;
}

function specError(text: string): SpecError {
  try {
    parseSpec(text, { file: FILE });
  } catch (err) {
    if (err instanceof SpecError) return err;
    throw err;
  }
  throw new Error("expected parseSpec to throw a SpecError");
}

describe("parseSpec: valid specs", () => {
  it("parses the example-like fixture with every section written out", () => {
    const url = new URL("../fixtures/specs/penguins.yaml", import.meta.url);
    const file = fileURLToPath(url);
    const spec = parseSpec(readFileSync(url, "utf8"), { file });
    expect(spec.name).toBe("penguins");
    expect(spec.id).toBe("penguin_id");
    expect(spec.features).toEqual({
      numeric: ["bill_length_mm"],
      categorical: ["island", "sex"],
      drop: ["year"],
      from: [],
      derived: {},
      transform: null,
    });
    expect(spec.preprocessing.clipOutliers).toEqual({ iqrMultiplier: 1.5 });
    expect(spec.search.grid).toEqual({ maxDepth: [4, 8, null], trees: [50, 100] });
    expect(spec.gate).toEqual({ metric: "f1_macro", minimum: 0.8, maximum: null, margin: 0.01 });
  });

  it("fills every default of a minimal classification spec", () => {
    expect(parseSpec(specWith(), { file: FILE })).toEqual({
      name: "p",
      seed: 42,
      source: {
        uri: "data.csv",
        format: "csv",
        delimiter: ",",
        missing: [],
        decimal: ".",
        expectedRows: null,
      },
      target: "y",
      task: "classification",
      id: null,
      features: { numeric: [], categorical: [], drop: [], from: [], derived: {}, transform: null },
      preprocessing: {
        impute: {
          numeric: "median",
          categorical: "most_frequent",
          numericFillValue: 0,
          categoricalFillValue: "missing_value",
        },
        scale: "standard",
        onehot: { maxCategories: 100 },
        clipOutliers: false,
        dedupe: true,
        dropMissingTarget: false,
      },
      split: { strategy: "stratified", testFraction: 0.2, seed: 42 },
      model: {
        type: "random-forest",
        engine: "orchard",
        trees: 100,
        maxDepth: null,
        minSamplesLeaf: 1,
        maxFeatures: "sqrt",
        bootstrap: true,
        shards: 1,
      },
      search: { strategy: "none", folds: null, metric: "accuracy", iterations: 10, grid: {} },
      gate: { metric: "accuracy", minimum: null, maximum: null, margin: 0 },
      retrain: { when: "always", psiThreshold: 0.2 },
      deploy: { strategy: "canary", ab: null, bandit: null, canary: null, batch: null },
      monitor: {
        capture: null,
        windowHours: 168,
        minLabels: 30,
        tolerance: 0.05,
        coolDownMinutes: 1440,
      },
      report: { explainRows: 200 },
    });
  });

  it("fills monitor.capture's defaults once capture is asked for", () => {
    const spec = parseSpec(specWith("monitor: { capture: { exclude: [email] } }\n"), {
      file: FILE,
    });
    expect(spec.monitor.capture).toEqual({ sampleRate: 1, exclude: ["email"], retentionDays: 30 });
  });

  it("refuses a capture sample rate outside (0, 1], naming the key", () => {
    expect(() =>
      parseSpec(specWith("monitor: { capture: { sampleRate: 1.5 } }\n"), { file: FILE }),
    ).toThrow(/monitor\.capture\.sampleRate/);
  });

  it.each([
    ["classification", "stratified", "sqrt", "accuracy"],
    ["regression", "random", "all", "rmse"],
  ])(
    "applies the %s defaults for split, maxFeatures and metric",
    (task, split, maxFeatures, metric) => {
      const spec = parseSpec(specWith("", task), { file: FILE });
      expect(spec.split.strategy).toBe(split);
      expect(spec.model.maxFeatures).toBe(maxFeatures);
      expect(spec.search.metric).toBe(metric);
      expect(spec.gate.metric).toBe(metric);
    },
  );

  it("derives the split seed from the top-level seed unless the split sets its own", () => {
    expect(parseSpec(specWith("seed: 7\n"), { file: FILE }).split.seed).toBe(7);
    expect(parseSpec(specWith("seed: 7\nsplit: { seed: 9 }\n"), { file: FILE }).split.seed).toBe(9);
  });

  it("defaults the gate metric to the search metric", () => {
    const spec = parseSpec(specWith("search: { metric: r2 }\n", "regression"), { file: FILE });
    expect(spec.gate.metric).toBe("r2");
  });

  it.each([
    ["data.csv", "csv", ","],
    ["DATA.CSV", "csv", ","],
    ["data.tsv", "csv", "\t"],
    ["data.parquet", "parquet", ","],
    ["data.jsonl", "jsonl", ","],
    ["data.ndjson", "jsonl", ","],
    ["s3://bucket-a/raw/data.parquet", "parquet", ","],
  ])("infers the format of %s from its extension", (uri, format, delimiter) => {
    const spec = parseSpec(specWith("", "classification", uri), { file: FILE });
    expect(spec.source).toEqual({
      uri,
      format,
      delimiter,
      missing: [],
      decimal: ".",
      expectedRows: null,
    });
  });

  it("lets an explicit format override the extension", () => {
    const text = "name: p\nsource: { uri: data.txt, format: jsonl }\ntarget: y\ntask: regression\n";
    expect(parseSpec(text, { file: FILE }).source.format).toBe("jsonl");
  });

  it("reads clipOutliers: true as an IQR multiplier of 1.5", () => {
    const spec = parseSpec(specWith("preprocessing: { clipOutliers: true }\n"), { file: FILE });
    expect(spec.preprocessing.clipOutliers).toEqual({ iqrMultiplier: 1.5 });
  });

  it("builds a time split carrying its time column", () => {
    const spec = parseSpec(specWith("split: { strategy: time, timeColumn: date }\n"), {
      file: FILE,
    });
    expect(spec.split).toEqual({
      strategy: "time",
      timeColumn: "date",
      testFraction: 0.2,
      seed: 42,
    });
  });

  it.each([
    ["rmse", "maximum: 3.5"],
    ["mae", "maximum: 1"],
    ["log_loss", "maximum: 0.4"],
    ["accuracy", "minimum: 0.9"],
    ["r2", "minimum: 0.5"],
  ])("accepts the threshold that fits %s (%s)", (metric, threshold) => {
    const task = ["rmse", "mae", "r2"].includes(metric) ? "regression" : "classification";
    const spec = parseSpec(specWith(`gate: { metric: ${metric}, ${threshold} }\n`, task), {
      file: FILE,
    });
    expect(spec.gate.metric).toBe(metric);
  });
});

describe("parseSpec: invalid specs", () => {
  it.each([
    [
      "model:\n  maxDepth: 0\n",
      "model.maxDepth",
      7,
      "found 0; allowed: null (unlimited) or an integer from 1 to 200",
    ],
    ["model:\n  trees: 2.5\n", "model.trees", 7, "found 2.5; allowed: an integer from 1 to 5000"],
    [
      "model:\n  maxFeatures: 2.5\n",
      "model.maxFeatures",
      7,
      "a fraction in (0, 1) or an integer count >= 1",
    ],
    [
      "model:\n  engine: xgboost\n",
      "model.engine",
      7,
      'found "xgboost"; allowed: one of orchard, ml-random-forest',
    ],
    [
      "deploy:\n  batch:\n    inputUri: s3://landing/x/\n    toleratedFailurePercent: 101\n",
      "deploy.batch.toleratedFailurePercent",
      9,
      "a share of files from 0 to 100",
    ],
    ["model:\n  shards: 0\n", "model.shards", 7, "found 0; allowed: an integer from 1 to 40"],
    ["model:\n  shards: 41\n", "model.shards", 7, "an integer from 1 to 40"],
    ["split:\n  testFraction: 0.95\n", "split.testFraction", 7, "a number in (0, 0.9]"],
    ["split:\n  testFraction: 0\n", "split.testFraction", 7, "found 0"],
    ["search:\n  folds: 1\n", "search.folds", 7, "an integer from 2 to 20"],
    ["search:\n  metric: auc\n", "search.metric", 7, 'found "auc"; allowed: one of accuracy'],
    [
      "search:\n  strategy: grid\n  grid:\n    trees: []\n",
      "search.grid.trees",
      9,
      "a non-empty list",
    ],
    [
      "search:\n  strategy: grid\n  grid:\n    maxDepth: [4, x]\n",
      "search.grid.maxDepth[1]",
      9,
      'found "x"',
    ],
    [
      "preprocessing:\n  scale: minmax\n",
      "preprocessing.scale",
      7,
      "one of standard, robust, none",
    ],
    [
      "preprocessing:\n  impute: { numeric: zero }\n",
      "preprocessing.impute.numeric",
      7,
      "mean, median",
    ],
    [
      "preprocessing:\n  onehot: { maxCategories: 0 }\n",
      "preprocessing.onehot.maxCategories",
      7,
      "1 to 10000",
    ],
    [
      "preprocessing:\n  clipOutliers: { iqrMultiplier: -1 }\n",
      "preprocessing.clipOutliers.iqrMultiplier",
      7,
      "found -1",
    ],
    [
      "preprocessing:\n  dedupe: yes\n",
      "preprocessing.dedupe",
      7,
      'found "yes"; allowed: true or false',
    ],
    [
      "features:\n  numeric: age\n",
      "features.numeric",
      7,
      'found "age"; allowed: a list of column names',
    ],
    ["gate:\n  margin: -0.1\n", "gate.margin", 7, "a number >= 0"],
    ["seed: -1\n", "seed", 6, "an integer from 0 to 4294967295"],
    ["id: ''\n", "id", 6, "a column name"],
  ])("rejects %j at %s (line %i)", (extra, path, line, fragment) => {
    const err = specError(specWith(extra));
    expect(err.location).toEqual({ file: FILE, path });
    expect(err.message).toContain(`${FILE}:${line} ${path}: `);
    expect(err.message).toContain(fragment);
  });

  it.each([
    ["name: Penguins!\n", "name", "1 to 40 characters of a-z"],
    [`name: ${"a".repeat(41)}\n`, "name", "1 to 40 characters"],
    [
      "name: p\ntarget: y\ntask: regression\n",
      "source",
      "is required; allowed: a mapping with uri",
    ],
    ["name: p\nsource: { uri: a.csv }\ntask: regression\n", "target", "is required"],
    [
      "name: p\nsource: { uri: a.csv }\ntarget: y\ntask: clustering\n",
      "task",
      "classification or regression",
    ],
    [
      "name: p\nsource: { uri: a.csv, format: xlsx }\ntarget: y\ntask: regression\n",
      "source.format",
      "one of csv, parquet, jsonl",
    ],
    [
      "name: p\nsource: { uri: a.csv, delimiter: '::' }\ntarget: y\ntask: regression\n",
      "source.delimiter",
      "a single character",
    ],
    [
      "name: p\nsource: { uri: a.csv, expectedRows: 0 }\ntarget: y\ntask: regression\n",
      "source.expectedRows",
      "a whole number of rows from 1 to 1000000000",
    ],
  ])("rejects top-level problem %j at %s", (text, path, fragment) => {
    const err = specError(text);
    expect(err.location.path).toBe(path);
    expect(err.message).toContain(fragment);
  });

  it.each([
    ["source: { uri: data.txt }", "source.uri", "no known extension"],
    ["source: { uri: data.parquet, delimiter: ';' }", "source.delimiter", "only applies to csv"],
    ["source: { uri: 'gs://b/data.csv' }", "source.uri", 'unsupported scheme "gs://"'],
    ["source: { uri: 's3://bucket-a/' }", "source.uri", "names no object"],
    ["model: { engine: ml-random-forest, shards: 4 }", "model.shards", "needs engine: orchard"],
    ["id: y", "id", "is also the target"],
    ["features: { numeric: [y] }", "features.numeric[0]", "is already the target"],
    ["id: k\nfeatures: { drop: [k] }", "features.drop[0]", "is already the id column"],
    [
      "features: { numeric: [a], categorical: [a] }",
      "features.categorical[0]",
      "already listed in features.numeric",
    ],
    ["features: { drop: [a, a] }", "features.drop[1]", "already listed in features.drop"],
    [
      "features: { from: [{ view: v, features: [a] }] }",
      "features.from[0]",
      "needs the row column",
    ],
    [
      "features: { from: [{ view: v, features: [y], timeColumn: t }] }",
      "features.from[0].features[0]",
      "is already the target",
    ],
    [
      "features: { from: [{ view: v, features: [a], timeColumn: t }, { view: w, features: [a], timeColumn: t }] }",
      "features.from[1].features[0]",
      "is already taken from view v",
    ],
    [
      "features: { from: [{ veiw: v, features: [a] }] }",
      "features.from[0].veiw",
      'Did you mean "view"?',
    ],
    [
      "preprocessing: { impute: { numericFillValue: 1 } }",
      "preprocessing.impute.numericFillValue",
      "only used with impute.numeric: constant",
    ],
    [
      "preprocessing: { impute: { categoricalFillValue: x } }",
      "preprocessing.impute.categoricalFillValue",
      "only used with impute.categorical: constant",
    ],
    ["split: { strategy: time }", "split.strategy", "needs split.timeColumn"],
    ["split: { timeColumn: date }", "split.timeColumn", "only used with split.strategy: time"],
    ["split: { strategy: time, timeColumn: y }", "split.timeColumn", "is the target"],
    ["search: { metric: rmse }", "search.metric", "rmse does not apply to classification"],
    ["search: { iterations: 5 }", "search.iterations", "only used with search.strategy: random"],
    [
      "search: { grid: { trees: [10] } }",
      "search.grid",
      "only used with search.strategy: grid or random",
    ],
    ["search: { strategy: grid }", "search.grid", "grid search needs at least one parameter"],
    ["search: { strategy: random }", "search.grid", "random search needs at least one parameter"],
    ["gate: { metric: mae }", "gate.metric", "mae does not apply to classification"],
    ["gate: { maximum: 0.3 }", "gate.maximum", "accuracy is higher-is-better"],
    ["gate: { minimum: 80 }", "gate.minimum", "write 0.8, not 80"],
    [
      "deploy: { batch: { inputUri: 'gs://b/scores/' } }",
      "deploy.batch.inputUri",
      'unsupported scheme "gs://"',
    ],
    ["deploy: { batch: { inputUri: 's3://B_/x/' } }", "deploy.batch.inputUri", "invalid bucket"],
  ])("rejects the rule violation %j at %s", (extra, path, fragment) => {
    const text = extra.startsWith("source:")
      ? `name: p\n${extra}\ntarget: y\ntask: classification\n`
      : specWith(`${extra}\n`);
    const err = specError(text);
    expect(err.location.path).toBe(path);
    expect(err.message).toContain(fragment);
  });

  it.each([
    ["split: { strategy: stratified }", "split.strategy", "stratified needs classes"],
    ["gate: { metric: rmse, minimum: 1 }", "gate.minimum", "rmse is lower-is-better"],
    ["gate: { metric: r2, minimum: 2 }", "gate.minimum", "r2 is at most 1"],
  ])("rejects the regression rule violation %j at %s", (extra, path, fragment) => {
    const err = specError(specWith(`${extra}\n`, "regression"));
    expect(err.location.path).toBe(path);
    expect(err.message).toContain(fragment);
  });

  it.each([
    ["nmae: p\n", [], "nmae", "name"],
    ["fromat: csv", ["source"], "fromat", "format"],
    ["features:\n  numerics: [a]\n", ["features"], "numerics", "numeric"],
    ["preprocessing:\n  scaling: none\n", ["preprocessing"], "scaling", "scale"],
    [
      "preprocessing:\n  impute:\n    numercal: mean\n",
      ["preprocessing", "impute"],
      "numercal",
      "numeric",
    ],
    [
      "preprocessing:\n  onehot:\n    max_categories: 3\n",
      ["preprocessing", "onehot"],
      "max_categories",
      "maxCategories",
    ],
    [
      "preprocessing:\n  clipOutliers:\n    iqr: 2\n",
      ["preprocessing", "clipOutliers"],
      "iqr",
      "iqrMultiplier",
    ],
    ["split:\n  test_fraction: 0.3\n", ["split"], "test_fraction", "testFraction"],
    ["model:\n  maxDepht: 3\n", ["model"], "maxDepht", "maxDepth"],
    ["search:\n  fold: 3\n", ["search"], "fold", "folds"],
    ["search:\n  strategy: grid\n  grid:\n    tree: [1]\n", ["search", "grid"], "tree", "trees"],
    ["gate:\n  minumum: 0.5\n", ["gate"], "minumum", "minimum"],
  ])("suggests a fix for the typo in %j", (extra, parent, typo, suggestion) => {
    // The source section is inside the base spec, so its typo goes in as an extra source line.
    const text =
      parent[0] === "source"
        ? specWith("", "classification", `a.csv\n  ${extra}`)
        : specWith(extra);
    const err = specError(text);
    const line = text.split("\n").findIndex((l) => l.trimStart().startsWith(`${typo}:`)) + 1;
    const path = [...parent, typo].join(".");
    expect(err.location.path).toBe(path);
    expect(err.message).toContain(
      `${FILE}:${line} ${path}: unknown key "${typo}". Did you mean "${suggestion}"?`,
    );
  });

  it("lists the allowed keys when no key is close to a typo", () => {
    const err = specError(specWith("model:\n  colour: red\n"));
    expect(err.message).not.toContain("Did you mean");
    expect(err.message).toContain("Allowed here: type, engine, trees, maxDepth");
  });

  it("reports every problem of a spec in one error, ordered by line", () => {
    const err = specError(specWith("model:\n  trees: 0\nsplit:\n  testFraction: 2\n"));
    expect(err.message).toMatch(/2 problems/);
    const trees = err.message.indexOf(`${FILE}:7 model.trees`);
    const split = err.message.indexOf(`${FILE}:9 split.testFraction`);
    expect(trees).toBeGreaterThan(0);
    expect(split).toBeGreaterThan(trees);
    expect(err.location.path).toBe("model.trees");
  });

  it("reports a YAML syntax error with its line", () => {
    const err = specError("name: p\nsource:\n  uri: [a.csv\ntarget: y\n");
    expect(err.message).toMatch(new RegExp(`^${FILE}:\\d+: the spec is not valid YAML`));
    expect(err.location).toEqual({ file: FILE });
  });

  it("reports a duplicate key as a YAML error on its line", () => {
    const err = specError("name: p\nname: q\n");
    expect(err.message).toContain(`${FILE}:2: the spec is not valid YAML`);
  });

  it.each([
    ["", "the spec is empty"],
    ["# only a comment\n", "the spec is empty"],
    ["- a\n- b\n", "must be a YAML mapping"],
    ["just text\n", "must be a YAML mapping"],
  ])("rejects a document %j that is not a mapping", (text, fragment) => {
    expect(specError(text).message).toContain(fragment);
  });
});

describe("deploy.batch", () => {
  it("tolerates no failed file unless toleratedFailurePercent says so", () => {
    const at = (extra: string) =>
      parseSpec(specWith(`deploy:\n  batch:\n    inputUri: s3://landing/x/\n${extra}`), {
        file: FILE,
      }).deploy.batch;
    expect(at("")).toEqual({ inputUri: "s3://landing/x/", toleratedFailurePercent: 0 });
    expect(at("    toleratedFailurePercent: 5\n")?.toleratedFailurePercent).toBe(5);
  });
});

describe("deploy.strategy", () => {
  const deploy = (extra: string, task = "classification") =>
    parseSpec(specWith(`deploy:\n${extra}`, task), { file: FILE }).deploy;

  it("is canary by default, and ab and bandit take their defaults", () => {
    expect(parseSpec(specWith(), { file: FILE }).deploy).toMatchObject({
      strategy: "canary",
      ab: null,
      bandit: null,
    });
    expect(deploy("  strategy: ab\n").ab).toEqual({
      percent: 50,
      minLabels: 200,
      confidence: 0.95,
      maxDays: 14,
      metric: "accuracy",
    });
    expect(deploy("  strategy: bandit\n  bandit: { challengers: 2 }\n").bandit).toEqual({
      challengers: 2,
      reward: "correct",
      minShare: 0.05,
    });
  });

  it.each([
    ["  strategy: abtest\n", "deploy.strategy", "one of canary, ab, bandit"],
    [
      "  strategy: ab\n  ab: { confidance: 0.9 }\n",
      "deploy.ab.confidance",
      'Did you mean "confidence"?',
    ],
    ["  strategy: ab\n  ab: { confidence: 95 }\n", "deploy.ab.confidence", "below 1"],
    [
      "  strategy: bandit\n  bandit: { challengers: 4 }\n",
      "deploy.bandit.challengers",
      "from 1 to 3",
    ],
    ["  strategy: bandit\n  bandit: { minShare: 0.5 }\n", "deploy.bandit.minShare", "0 to 0.25"],
    ["  ab: { percent: 20 }\n", "deploy.ab", "set strategy: ab or remove ab"],
    ["  strategy: ab\n  canary: { percent: 10, minutes: 5 }\n", "deploy.canary", "remove canary"],
    [
      "  strategy: ab\n  ab: { metric: rmse }\n",
      "deploy.ab.metric",
      "does not apply to classification",
    ],
  ])("rejects %j at its YAML path", (extra, path, fragment) => {
    const err = specError(specWith(`deploy:\n${extra}`));
    expect(err.message).toContain(path);
    expect(err.message).toContain(fragment);
  });

  it("asks a regression bandit for a reward sent with the feedback", () => {
    const err = specError(specWith("deploy:\n  strategy: bandit\n", "regression"));
    expect(err.message).toContain("deploy.bandit.reward");
    expect(
      deploy("  strategy: bandit\n  bandit: { reward: feedback }\n", "regression").bandit?.reward,
    ).toBe("feedback");
  });
});
