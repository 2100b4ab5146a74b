/**
 * The pipeline specs a stack deploys, read from disk and checked before any resource is
 * declared: the YAML (uploaded to `artifacts/<pipeline>/specs/<sha256>.yaml`, the key every
 * step reads it from) and where a cloud run reads its source.
 *
 * Sources: a cloud run reads S3 only. An `s3://` `source.uri` is used as is; the entry's
 * `sourceUri` overrides it. A local file (relative path or file://) is refused with an error
 * naming the config key, unless the entry sets `uploadSource: true`: then the deployment
 * uploads the file into the raw bucket under `<pipeline>/uploads/<sha256>.<ext>` (kept on
 * destroy) and Ingest copies it to its content key like any other source.
 *
 * Batch scoring (`deploy.batch.inputUri`, a prefix) likewise reads S3 only: an `s3://` prefix
 * is used as is and the entry's `batchUri` overrides it. A local directory (what a spec run
 * with `orchard run` names) deploys as the pipeline's landing prefix in the data lake,
 * `s3://<raw bucket>/<pipeline>/batch/`: KMS-encrypted, inside the pipeline's own prefix, and
 * empty until producers put inputs there. Nothing is uploaded: batch inputs arrive after the
 * deployment. The prefix becomes batchScore's IAM grant, so it may not hold `*` or `?`.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseView } from "../pipeline/feature-store/parse-view.ts";
import type { FeatureView } from "../pipeline/feature-store/types.ts";
import { parseSpec } from "../pipeline/spec/parse-spec.ts";
import { resolveBatchUri, resolveSourceUri } from "../pipeline/spec/source-uri.ts";
import type { PipelineSpec } from "../pipeline/spec/types.ts";
import { lakeBatchKey } from "./access/declarations.ts";
import type { PipelineConfig } from "./config.ts";
import { DeployInputError, InfraConfigError } from "./errors.ts";

export type DeploySource =
  | { kind: "s3"; uri: string; bucket: string; key: string }
  | { kind: "upload"; file: string; key: string; sha256: string };

/**
 * Where BatchScore lists, reads and writes: a bucket of the user's (`uri` is
 * `s3://bucket/key`, key may be "") or the pipeline's landing prefix in the raw bucket, whose
 * name is known only once it is created.
 */
export type DeployBatch =
  | { kind: "s3"; uri: string; bucket: string; key: string }
  | { kind: "lake"; key: `${string}/batch/` };

export interface DeploySpec {
  config: PipelineConfig;
  spec: PipelineSpec;
  /** The pipeline name (the spec's `name`). */
  name: string;
  yaml: string;
  sha256: string;
  /** Key in the artifacts bucket: `<pipeline>/specs/<sha256>.yaml`. */
  specKey: string;
  source: DeploySource;
  /** The spec's `deploy.batch` in S3; null when the spec has none. */
  batch: DeployBatch | null;
  /** The feature views the spec takes features from (`features.from`), read from disk. */
  views: DeployView[];
}

/**
 * A feature view a pipeline consumes, from `features/<view>.yaml` beside the spec file. Its
 * stack materializes it on a schedule (infra/feature-view.ts): an `s3://` source is read in
 * place, a local source is uploaded with the deployment.
 */
export interface DeployView {
  view: FeatureView;
  file: string;
  yaml: string;
  source: { uri: string } | { bytes: Uint8Array; ext: string };
}

/** `<spec dir>/features/<view>.yaml`: where a spec's views live. */
export function viewFileOf(specFile: string, view: string): string {
  return path.join(path.dirname(specFile), "features", `${view}.yaml`);
}

function viewsOf(config: PipelineConfig, spec: PipelineSpec): DeployView[] {
  return spec.features.from.map((from, i) => {
    const file = viewFileOf(config.specFile, from.view);
    const yaml = read(
      file,
      `${config.spec}: features.from[${i}].view`,
      "the feature view",
    ).toString("utf8");
    const view = parseView(yaml, { file });
    if (view.name !== from.view) {
      throw new InfraConfigError(
        `${file}: the view is named "${view.name}" but ${config.spec} asks for "${from.view}"; name the file ${view.name}.yaml`,
        { file, path: "name" },
      );
    }
    const resolved = resolveSourceUri(view.source.uri, file);
    if (resolved.scheme === "s3") {
      return { view, file, yaml, source: { uri: `s3://${resolved.bucket}/${resolved.key}` } };
    }
    const bytes = read(resolved.path, `${file}: source.uri`, "the view's source");
    const ext = path.extname(resolved.path).slice(1).toLowerCase() || view.source.format;
    return { view, file, yaml, source: { bytes: new Uint8Array(bytes), ext } };
  });
}

function read(file: string, key: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (cause) {
    throw new DeployInputError(
      `${key}: ${what} ${file} cannot be read (${(cause as NodeJS.ErrnoException).code}); check the path (relative to Pulumi.yaml)`,
      { file, path: key },
      { cause },
    );
  }
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

export function loadDeploySpecs(pipelines: PipelineConfig[]): DeploySpec[] {
  const byName = new Map<string, string>();
  return pipelines.map((config) => {
    const bytes = read(config.specFile, `${config.key}.spec`, "the spec");
    const yaml = bytes.toString("utf8");
    const spec = parseSpec(yaml, { file: config.spec });
    const other = byName.get(spec.name);
    if (other) {
      throw new InfraConfigError(
        `Config ${config.key}.spec: ${config.spec} and ${other} both name the pipeline "${spec.name}"; pipeline names must be unique in a stack`,
        { path: `${config.key}.spec` },
      );
    }
    byName.set(spec.name, config.spec);
    if (spec.model.type === "custom") {
      // Select in the cloud has no way to start the trainer's image yet: refuse here rather
      // than deploy a pipeline whose every run fails in Select.
      throw new InfraConfigError(
        `Config ${config.key}.spec: ${config.spec} has model.type custom, which runs with \`orchard run\` only in this version: deployed runs of a team's trainer are not implemented yet (docs/custom-training.md); deploy the pipeline with one of Orchard's model families meanwhile`,
        { path: `${config.key}.spec` },
      );
    }
    const hash = sha256(bytes);
    return {
      config,
      spec,
      name: spec.name,
      yaml,
      sha256: hash,
      specKey: `${spec.name}/specs/${hash}.yaml`,
      source: sourceOf(config, spec),
      batch: batchOf(config, spec),
      views: viewsOf(config, spec),
    };
  });
}

function sourceOf(config: PipelineConfig, spec: PipelineSpec): DeploySource {
  const uri = config.sourceUri ?? spec.source.uri;
  const resolved = resolveSourceUri(uri, config.specFile);
  if (resolved.scheme === "s3") {
    const { bucket, key } = resolved;
    return { kind: "s3", uri: `s3://${bucket}/${key}`, bucket, key };
  }
  if (!config.uploadSource) {
    throw new InfraConfigError(
      `Config ${config.key}.sourceUri is not set and ${config.spec} reads source.uri "${spec.source.uri}", a local file; a cloud run reads its source from S3: set ${config.key}.sourceUri to an s3:// URI, or set ${config.key}.uploadSource: true to upload ${resolved.path} with the deployment`,
      { path: `${config.key}.sourceUri` },
    );
  }
  const bytes = read(resolved.path, `${config.key}.uploadSource`, "the source file");
  const hash = sha256(bytes);
  const ext = path.extname(resolved.path).slice(1).toLowerCase() || spec.source.format;
  return {
    kind: "upload",
    file: resolved.path,
    key: `${spec.name}/uploads/${hash}.${ext}`,
    sha256: hash,
  };
}

function batchOf(config: PipelineConfig, spec: PipelineSpec): DeployBatch | null {
  const inputUri = spec.deploy?.batch?.inputUri;
  if (inputUri === undefined) {
    if (config.batchUri === undefined) return null;
    throw new InfraConfigError(
      `Config ${config.key}.batchUri is set but ${config.spec} has no deploy.batch, so no run would score it; add deploy.batch.inputUri to the spec, or remove ${config.key}.batchUri`,
      { path: `${config.key}.batchUri` },
    );
  }
  const resolved = resolveBatchUri(config.batchUri ?? inputUri, config.specFile);
  if (resolved.scheme !== "s3") return { kind: "lake", key: lakeBatchKey(spec.name) };
  const { bucket, key } = resolved;
  if (/[*?]/.test(key)) {
    throw new InfraConfigError(
      `${config.spec}: deploy.batch.inputUri "${inputUri}" has * or ? in its key; batch scoring's IAM grant would read them as patterns: use a prefix without them, or set ${config.key}.batchUri`,
      { file: config.specFile, path: "deploy.batch.inputUri" },
    );
  }
  return { kind: "s3", uri: `s3://${bucket}/${key}`, bucket, key };
}
