/**
 * `features.transform`: a TypeScript module of the user's, loaded in-process next to the spec
 * (as `orchard run`, `predict` and `serve` load it), runs on every training row and again at
 * every door; a failure names the module, the row and the column.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSpecFile } from "../../cli/local/run-pipeline.ts";
import {
  applyTransform,
  type LoadedTransform,
  registerTransform,
} from "../../pipeline/derived/transform.ts";
import { TransformError, TransformNotLoadedError } from "../../pipeline/errors.ts";
import { loadBundle } from "../../pipeline/model/bundle.ts";
import { readModelRows } from "../../pipeline/model/schema.ts";
import { handleRequest } from "../../pipeline/serving/handle.ts";
import { ServedModels } from "../../pipeline/serving/served-models.ts";
import { cachedStep } from "../../pipeline/steps/cache.ts";
import { VALIDATE_CACHE } from "../../pipeline/steps/cache-policies.ts";
import {
  ingest,
  preprocess,
  type RunState,
  type StepDeps,
  select,
  train,
  validate,
} from "../../pipeline/steps/index.ts";
import {
  MemoryArtifactStore,
  MemoryFeatureStore,
  MemoryModelRegistry,
} from "../../pipeline/store-memory.ts";
import { memoryServing, post } from "../serving/fixtures.ts";

const TRANSFORM = `import type { RowTransform } from "../../pipeline/public.ts";

/** Income per household member, and a size band. */
export const transform: RowTransform = (row) => {
  if (row.members === 99) throw new Error("members out of range");
  const members = typeof row.members === "number" ? row.members : null;
  const income = typeof row.income === "number" ? row.income : null;
  return {
    ...row,
    per_member: members && income !== null ? income / members : null,
    household: members === null ? null : members > 3 ? "large" : "small",
    members: row.members === 42 ? Number.POSITIVE_INFINITY : members,
  };
};
`;

let dir: string;
let specPath: string;

function csv(extra = ""): Uint8Array {
  const lines = ["id,income,members,target"];
  for (let i = 0; i < 60; i++) {
    const members = 1 + (i % 5);
    const income = 1000 + ((i * 37) % 900);
    lines.push(`${i},${income},${members},${income / members}`);
  }
  return new TextEncoder().encode(`${lines.join("\n")}\n${extra}`);
}

beforeAll(async () => {
  // Inside the repository, so the module's type import resolves as a user's would.
  dir = await mkdtemp(join(process.cwd(), "test", ".transform-"));
  await writeFile(join(dir, "features.ts"), TRANSFORM);
  specPath = join(dir, "pipeline.yaml");
  await writeFile(
    specPath,
    `name: households
source:
  uri: data.csv
target: target
task: regression
id: id
features:
  transform: ./features.ts
  derived:
    log_per_member: log1p(per_member)
model:
  trees: 10
`,
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function trainWith(data: Uint8Array, file = specPath) {
  const { spec, bytes } = await loadSpecFile(file);
  const deps: StepDeps = {
    artifacts: new MemoryArtifactStore(),
    features: new MemoryFeatureStore(),
    registry: new MemoryModelRegistry(),
    readSource: async () => data,
    now: () => new Date("2026-01-01T00:00:00Z"),
  };
  const stored = await deps.artifacts.putContent("artifacts", `${spec.name}/specs`, bytes, "yaml");
  const state: RunState = {
    run: { pipeline: spec.name, specUri: stored.uri, sourceUri: "file:///data.csv" },
  };
  state.ingest = await ingest(state, deps);
  state.validate = await validate(state, deps);
  state.preprocess = await preprocess(state, deps);
  state.train = await Promise.all(
    state.preprocess.candidates.map((candidate) => train({ candidate, run: state }, deps)),
  );
  state.select = await select(state, deps);
  return loadBundle(await deps.artifacts.get(state.select.modelUri));
}

describe("features.transform", () => {
  it("runs the module on every training row and again at the door, recording it in the model", async () => {
    const bundle = await trainWith(csv());
    const { transform } = bundle.header.schema;
    expect(transform).toMatchObject({
      module: "./features.ts",
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      inputs: { id: "categorical", income: "numeric", members: "numeric" },
      outputs: { per_member: "numeric", household: "categorical" },
    });
    expect(bundle.header.schema.features.numeric).toEqual(
      expect.arrayContaining(["per_member", "log_per_member"]),
    );
    expect(bundle.header.schema.features.categorical).toContain("household");
    // A request carries only raw columns; the transform and the expression fill in the rest.
    const [row] = readModelRows(bundle.header.schema, [{ income: 1200, members: 4 }]);
    expect({ ...row }).toMatchObject({
      per_member: 300,
      household: "large",
      log_per_member: Math.log1p(300),
    });
    expect(bundle.predict([{ income: 1200, members: 4 }])[0].prediction).toBeGreaterThan(0);
  });

  it("fails the run naming the module, the row and the column", async () => {
    await expect(trainWith(csv("60,1000,42,10\n"))).rejects.toThrow(
      new TransformError(
        './features.ts returned Infinity for column "members" on /data.csv, row 61; return a finite number, or null for a missing value',
        { file: "./features.ts", row: 61, column: "members" },
      ),
    );
    await expect(trainWith(csv("60,1000,99,10\n"))).rejects.toThrow(
      "./features.ts threw on /data.csv, row 61: members out of range; fix the transform (or the row)",
    );
  });

  it("answers POST /predict with the transform's features, and a 400 naming the row it refuses", async () => {
    const bundle = await trainWith(csv());
    const stores = memoryServing("households");
    await stores.promote(bundle);
    const served = new ServedModels({ pipeline: "households", ...stores, refreshMs: 0 });
    const rows = [
      { income: 1200, members: 4 },
      { income: 1000, members: 42 },
    ];
    const { response } = await handleRequest(post({ rows: rows.slice(0, 1) }), served);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body).predictions).toEqual(
      JSON.parse(JSON.stringify(bundle.predict(rows.slice(0, 1)))),
    );
    const { response: refused } = await handleRequest(post({ rows }), served);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body).error).toMatchObject({
      message: expect.stringContaining(
        './features.ts returned Infinity for column "members" on row 2',
      ),
      row: 2,
      column: "members",
    });
  });

  it("refuses to predict with a model whose module changed since training", async () => {
    const bundle = await trainWith(csv());
    await writeFile(join(dir, "features.ts"), `${TRANSFORM}\n// edited\n`);
    try {
      await loadSpecFile(specPath);
      expect(() => bundle.predict([{ income: 1, members: 1 }])).toThrow(TransformNotLoadedError);
    } finally {
      await writeFile(join(dir, "features.ts"), TRANSFORM);
      await loadSpecFile(specPath);
    }
  });
});

describe("applyTransform", () => {
  const loaded = (transform: LoadedTransform["transform"]): LoadedTransform => ({
    module: "./features.ts",
    sha256: "0".repeat(64),
    transform,
  });

  it.each<[string, LoadedTransform["transform"], string]>([
    [
      "a non-object",
      () => 5 as never,
      "./features.ts returned 5 for row 3; return the row's columns",
    ],
    [
      "NaN",
      () => ({ x: Number.NaN }),
      'returned NaN for column "x" on row 3; return a finite number',
    ],
    [
      "an object cell",
      () => ({ x: {} as never }),
      'returned an object for column "x" on row 3; return a number, text or null',
    ],
    [
      "a changed input column",
      () => ({ a: 2 }),
      'returned 2 for column "a" on row 3; "a" is an input column (it holds 1); a transform adds columns',
    ],
    [
      "text in a numeric column",
      () => ({ b: "high" }),
      'returned text "high" for column "b" on row 3; the column holds numbers',
    ],
  ])("refuses %s, naming the row and column", (_, transform, message) => {
    const kinds = new Map([
      ["a", "numeric" as const],
      ["b", "numeric" as const],
    ]);
    expect(() => applyTransform(loaded(transform), { a: 1 }, 3, kinds)).toThrow(message);
  });

  it("gives the transform a frozen copy of the row, so it cannot change the caller's", () => {
    const row = { a: 1 };
    const change = loaded((r) => {
      (r as Record<string, unknown>).a = 2;
      return { b: 1 };
    });
    expect(() => applyTransform(change, row, 1, new Map())).toThrow(TransformError);
    expect(row.a).toBe(1);
    expect({
      ...applyTransform(
        loaded(() => ({ b: 1 })),
        row,
        1,
        new Map(),
      ),
    }).toEqual({ a: 1, b: 1 });
  });
});

describe("the penguins-derived example", () => {
  it("trains with its transform and expressions, and predicts a raw row", async () => {
    const example = new URL("../../examples/penguins-derived/pipeline.yaml", import.meta.url);
    const penguins = readFileSync(new URL("../../examples/penguins/penguins.csv", import.meta.url));
    const bundle = await trainWith(new Uint8Array(penguins), fileURLToPath(example));
    expect((bundle.header.metrics as { accuracy: number }).accuracy).toBeGreaterThan(0.9);
    expect(bundle.header.schema.transform?.outputs).toEqual({ bill_area: "numeric" });
    const [gentoo] = bundle.predict([
      {
        island: "Biscoe",
        bill_length_mm: 47.5,
        bill_depth_mm: 14.8,
        flipper_length_mm: 217,
        body_mass_g: 5200,
        sex: "MALE",
      },
    ]);
    expect(gentoo.prediction).toBe("Gentoo");
  });
});

describe("the step cache with a row transform", () => {
  it("reruns a step when the module's source changed, reuses it when not", async () => {
    const artifacts = new MemoryArtifactStore();
    const deps = {
      artifacts,
      features: new MemoryFeatureStore(),
      registry: new MemoryModelRegistry(),
      readSource: async () => csv(),
      now: () => new Date("2026-01-01T00:00:00Z"),
    };
    const spec =
      "name: cached\nsource:\n  uri: d.csv\ntarget: t\ntask: regression\nfeatures:\n  transform: ./f.ts\n";
    const stored = await artifacts.putContent(
      "artifacts",
      "cached/specs",
      new TextEncoder().encode(spec),
      "yaml",
    );
    const state: RunState = {
      run: { pipeline: "cached", specUri: stored.uri, sourceUri: "file:///d.csv" },
      ingest: { sha256: "a".repeat(64), sourceUri: "file:///d.csv" } as RunState["ingest"],
    };
    let runs = 0;
    const step = cachedStep(
      VALIDATE_CACHE,
      async () => {
        runs++;
        return { reportUri: "", rows: 1, columns: 1, warnings: [] };
      },
      () => ({ enabled: true, codeVersion: "test" }),
    );
    const version = (sha: string) =>
      registerTransform("cached", { module: "./f.ts", sha256: sha, transform: (r) => r });
    version("1".repeat(64));
    await step(state, deps);
    await step(state, deps);
    expect(runs).toBe(1);
    version("2".repeat(64));
    await step(state, deps);
    expect(runs).toBe(2);
  });
});
