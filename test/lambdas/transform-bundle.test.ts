/**
 * `orchard build` bundles a pipeline's row transform (`features.transform`) into the functions
 * that run rows (the steps that read the raw table, predict, batch scoring) and leaves the
 * others' bytes alone.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stackTransforms } from "../../cli/build.ts";
import { buildLambdas, type LambdaManifest } from "../../scripts/build-lambdas.ts";

const MARKER = "orchard-transform-marker-7f3a";
let dir: string;
let plain: LambdaManifest;
let withTransform: LambdaManifest;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "orchard-transform-bundle-"));
  await writeFile(
    join(dir, "features.ts"),
    `export const transform = (row: Record<string, unknown>) => ({ ...row, tag: "${MARKER}" });\n`,
  );
  const handlers = ["preprocess", "predict", "notify-failure"] as const;
  plain = await buildLambdas({ outDir: join(dir, "plain"), handlers });
  withTransform = await buildLambdas({
    outDir: join(dir, "out"),
    handlers,
    transforms: [
      { pipeline: "households", module: "./features.ts", file: join(dir, "features.ts") },
    ],
  });
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("bundling a row transform", () => {
  it("puts the module and its registration into the functions that run rows", async () => {
    for (const name of ["preprocess", "predict"]) {
      const code = await readFile(join(dir, "out", name, "index.mjs"), "utf8");
      expect(code).toContain(MARKER);
      expect(code).toContain('"households"');
      expect(withTransform.bundles[name].sha256).not.toBe(plain.bundles[name].sha256);
    }
  });

  it("leaves the other functions byte for byte as without it", async () => {
    const code = await readFile(join(dir, "out", "notify-failure", "index.mjs"), "utf8");
    expect(code).not.toContain(MARKER);
    expect(withTransform.bundles["notify-failure"].sha256).toBe(
      plain.bundles["notify-failure"].sha256,
    );
  });

  it("finds the transforms of the pipelines the stacks deploy", async () => {
    const root = join(dir, "repo");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(join(root, "stacks"), { recursive: true });
    await mkdir(join(root, "pipelines", "households"), { recursive: true });
    await writeFile(
      join(root, "stacks", "Pulumi.staging.yaml"),
      "config:\n  orchard:pipelines:\n    - spec: pipelines/households/pipeline.yaml\n",
    );
    await writeFile(
      join(root, "pipelines", "households", "pipeline.yaml"),
      "name: households\nsource:\n  uri: data.csv\ntarget: y\ntask: regression\nfeatures:\n  transform: ./features.ts\n",
    );
    expect(stackTransforms(root)).toEqual([
      {
        pipeline: "households",
        module: "./features.ts",
        file: join(root, "pipelines", "households", "features.ts"),
      },
    ]);
  });
});
