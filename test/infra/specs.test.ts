/** Loading the specs a stack deploys: spec key, sources, and errors naming the config key. */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type PipelineConfig, PROJECT_ROOT } from "../../infra/config.ts";
import { DeployInputError, InfraConfigError } from "../../infra/errors.ts";
import { loadDeploySpecs } from "../../infra/specs.ts";

const PENGUINS = "examples/penguins/pipeline.yaml";
const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function entry(overrides: Partial<PipelineConfig> = {}, i = 0): PipelineConfig {
  const spec = overrides.spec ?? PENGUINS;
  return {
    spec,
    specFile: path.resolve(PROJECT_ROOT, spec),
    key: `orchard:pipelines[${i}]`,
    schedule: "rate(1 day)",
    timeZone: "UTC",
    uploadSource: false,
    enabled: true,
    ...overrides,
  };
}

function tempSpec(name: string, source: string, batchUri?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "orchard-spec-"));
  const file = path.join(dir, "pipeline.yaml");
  const batch = batchUri === undefined ? "" : `deploy:\n  batch:\n    inputUri: "${batchUri}"\n`;
  writeFileSync(
    file,
    `name: ${name}\nsource:\n  uri: ${source}\ntarget: y\ntask: classification\n${batch}`,
  );
  return file;
}

/** An entry for a temp spec with an s3:// source, with or without a batch URI. */
function batchEntry(batchUri: string | undefined, overrides: Partial<PipelineConfig> = {}) {
  const file = tempSpec("churn", "s3://data-bucket/churn.csv", batchUri);
  return entry({ spec: file, specFile: file, ...overrides });
}

describe("loadDeploySpecs", () => {
  it("stores a spec under <pipeline>/specs/<sha256 of its bytes>.yaml", () => {
    const [spec] = loadDeploySpecs([entry({ sourceUri: "s3://landing-bucket/penguins.csv" })]);
    const bytes = readFileSync(path.join(PROJECT_ROOT, PENGUINS));
    expect(spec.name).toBe("penguins");
    expect(spec.specKey).toBe(`penguins/specs/${sha(bytes)}.yaml`);
    expect(spec.yaml).toBe(bytes.toString("utf8"));
  });

  it("reads an s3:// override as the source", () => {
    const [spec] = loadDeploySpecs([entry({ sourceUri: "s3://landing-bucket/in/penguins.csv" })]);
    expect(spec.source).toEqual({
      kind: "s3",
      uri: "s3://landing-bucket/in/penguins.csv",
      bucket: "landing-bucket",
      key: "in/penguins.csv",
    });
  });

  it("uses a spec's own s3:// source as is", () => {
    const file = tempSpec("churn", "s3://data-bucket/churn/2024.parquet");
    const [spec] = loadDeploySpecs([entry({ spec: file, specFile: file })]);
    expect(spec.source).toMatchObject({ kind: "s3", uri: "s3://data-bucket/churn/2024.parquet" });
  });

  it("uploads a local source, when asked, under <pipeline>/uploads/<sha256>.<ext>", () => {
    const [spec] = loadDeploySpecs([entry({ uploadSource: true })]);
    const csv = path.join(PROJECT_ROOT, "examples/penguins/penguins.csv");
    expect(spec.source).toEqual({
      kind: "upload",
      file: csv,
      sha256: sha(readFileSync(csv)),
      key: `penguins/uploads/${sha(readFileSync(csv))}.csv`,
    });
  });

  it("refuses a local source without uploadSource, naming the key to set", () => {
    expect(() => loadDeploySpecs([entry()])).toThrow(InfraConfigError);
    expect(() => loadDeploySpecs([entry()])).toThrow(
      /orchard:pipelines\[0\]\.sourceUri .*penguins\.csv.*uploadSource: true/,
    );
  });

  it("names the entry whose spec file is missing", () => {
    const missing = entry({ spec: "nope/pipeline.yaml", sourceUri: "s3://b-1/a.csv" });
    expect(() => loadDeploySpecs([missing])).toThrow(DeployInputError);
    expect(() => loadDeploySpecs([missing])).toThrow(/orchard:pipelines\[0\]\.spec/);
  });

  it("refuses two specs with the same pipeline name", () => {
    const file = tempSpec("penguins", "s3://data-bucket/p.csv");
    const twice = [
      entry({ sourceUri: "s3://b-1/a.csv" }),
      entry({ spec: file, specFile: file }, 1),
    ];
    expect(() => loadDeploySpecs(twice)).toThrow(/orchard:pipelines\[1\]\.spec.*"penguins"/);
  });

  it("has no batch location when the spec has no deploy.batch", () => {
    expect(loadDeploySpecs([batchEntry(undefined)])[0].batch).toBeNull();
  });

  it.each([
    ["s3://scoring-bucket/churn/daily/", "scoring-bucket", "churn/daily/"],
    ["s3://scoring-bucket/churn", "scoring-bucket", "churn"],
    ["s3://scoring-bucket/", "scoring-bucket", ""],
    ["s3://scoring-bucket", "scoring-bucket", ""],
  ])("reads the spec's S3 batch prefix %s as bucket and key", (uri, bucket, key) => {
    expect(loadDeploySpecs([batchEntry(uri)])[0].batch).toEqual({
      kind: "s3",
      uri: `s3://${bucket}/${key}`,
      bucket,
      key,
    });
  });

  it("lets the entry's batchUri override the spec's batch location", () => {
    const [spec] = loadDeploySpecs([
      batchEntry("s3://scoring-bucket/churn/", { batchUri: "s3://other-scoring/in/churn/" }),
    ]);
    expect(spec.batch).toEqual({
      kind: "s3",
      uri: "s3://other-scoring/in/churn/",
      bucket: "other-scoring",
      key: "in/churn/",
    });
  });

  it.each(["batch/", "/srv/scoring/", "file:///srv/scoring/"])(
    "deploys the local batch directory %s as the pipeline's landing prefix in the raw bucket",
    (dir) => {
      const [spec] = loadDeploySpecs([batchEntry(dir)]);
      expect(spec.batch).toEqual({ kind: "lake", key: `${spec.name}/batch/` });
    },
  );

  it("scores a local batch directory's pipeline from the batchUri in the cloud", () => {
    const [spec] = loadDeploySpecs([
      batchEntry("batch/", { batchUri: "s3://scoring-bucket/churn/" }),
    ]);
    expect(spec.batch).toMatchObject({ kind: "s3", uri: "s3://scoring-bucket/churn/" });
  });

  it("refuses a batchUri for a spec without deploy.batch, naming the key", () => {
    const load = () => loadDeploySpecs([batchEntry(undefined, { batchUri: "s3://b-1/x/" })]);
    expect(load).toThrow(InfraConfigError);
    expect(load).toThrow(/orchard:pipelines\[0\]\.batchUri is set but .* has no deploy\.batch/);
  });

  it("refuses a spec batch prefix holding an IAM pattern character", () => {
    expect(() => loadDeploySpecs([batchEntry("s3://scoring-bucket/churn/*/")])).toThrow(
      /deploy\.batch\.inputUri "s3:\/\/scoring-bucket\/churn\/\*\/" has \* or \?/,
    );
  });
});
