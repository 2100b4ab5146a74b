/**
 * Promotes a model version from one stack's registry to another's (staging → prod):
 *
 * 1. The version (default: the source champion) must be `approved` in the source: a `rejected`
 *    version failed its gate there, a `candidate` was never evaluated.
 * 2. The target's gate must pass: `decidePromotion` with the target's gate, the version's
 *    recorded held-out metric and the target champion's recorded metric (recorded metrics:
 *    promote has no data to re-score on). The gate is read, first match wins, from `--spec`,
 *    from the target pipeline's deployed spec (output `pipelines.<p>.specUri`), from the spec
 *    of the target's champion, else from the version's own spec (a target with no champion
 *    and no deployed spec re-applies the gate the version passed).
 * 3. The model artifact and its spec (the lineage's `specSha256`) are copied to the same
 *    content-addressed keys in the target's artifacts bucket and read back: the copy is
 *    byte-exact or the promotion stops. The raw data snapshot stays in the source stack; the
 *    lineage keeps its SHA-256.
 * 4. The version is registered in the target (approved, same metrics, params and lineage; a
 *    version with the same model is reused) and the target's champion pointer is moved with the
 *    registry's conditional write against the champion read in step 2: if another promotion
 *    won in between, nothing is overwritten and the promotion is refused.
 * 5. Who and when are recorded in the version's promotion history, and a promotion record
 *    (source stack and version, target version, model and spec hashes, gate reasons) is written
 *    to `artifacts/<pipeline>/promotions/` in the target.
 */
import { decidePromotion } from "../../pipeline/model/gate.ts";
import { parseSpec } from "../../pipeline/spec/parse-spec.ts";
import type { GateSpec, PipelineSpec } from "../../pipeline/spec/types.ts";
import {
  type ArtifactStore,
  type ModelRegistry,
  type ModelVersion,
  parseS3Uri,
  sha256Hex,
  versionNotFound,
} from "../../pipeline/store.ts";
import { PromotionRefusedError } from "./errors.ts";

export interface PromotionSide {
  stack: string;
  artifacts: ArtifactStore;
  registry: ModelRegistry;
  /** The target's deployed spec URI (stack output `pipelines.<p>.specUri`), if known. */
  specUri?: string;
}

export interface PromoteModelOptions {
  pipeline: string;
  from: PromotionSide;
  to: PromotionSide;
  /** Default: the source's champion. */
  version?: string;
  /** A spec whose gate decides (`--spec`). */
  spec?: PipelineSpec;
  actor: string;
  now?: Date;
}

export interface PromotionRecord {
  pipeline: string;
  from: { stack: string; version: string; modelUri: string };
  to: { stack: string; version: string; modelUri: string; previousChampion: string | null };
  modelSha256: string;
  specSha256: string;
  gate: { source: string; metric: string; reasons: string[] };
  by: string;
  at: string;
}

export type PromoteModelResult =
  | { promoted: true; record: PromotionRecord; recordUri: string }
  | { promoted: false; reason: string; champion: string };

const CONTENT_KEY = /^(.*)\/([0-9a-f]{64})\.([^/.]+)$/;

export async function promoteModel(options: PromoteModelOptions): Promise<PromoteModelResult> {
  const { pipeline, from, to } = options;
  const now = options.now ?? new Date();
  const source = await sourceVersion(options);
  checkStatus(source, from.stack);

  const champion = await to.registry.getChampion(pipeline);
  const modelSha256 = contentSha(source.modelUri);
  if (champion && contentSha(champion.modelUri) === modelSha256) {
    return {
      promoted: false,
      champion: champion.version,
      reason: `${from.stack} ${source.version} is already the champion of ${to.stack} (${champion.version}, same model)`,
    };
  }

  const gate = await targetGate(options, source, champion);
  const decision = checkGate(gate, source, champion, to.stack);

  const modelUri = await copyArtifact(from.artifacts, to.artifacts, source.modelUri);
  const specSha256 = source.lineage.specSha256;
  await copyArtifact(from.artifacts, to.artifacts, specUriOf(from.artifacts, pipeline, specSha256));

  const target = await targetVersion(to.registry, pipeline, source, modelUri);
  const result = await to.registry.promote(pipeline, target.version, {
    expectedChampion: champion?.version ?? null,
    by: options.actor,
    now,
  });
  if (!result.promoted) {
    throw new PromotionRefusedError(
      `${to.stack} ${target.version} (from ${from.stack} ${source.version}) was not promoted: ${result.reason}`,
    );
  }
  const record: PromotionRecord = {
    pipeline,
    from: { stack: from.stack, version: source.version, modelUri: source.modelUri },
    to: {
      stack: to.stack,
      version: target.version,
      modelUri,
      previousChampion: champion?.version ?? null,
    },
    modelSha256,
    specSha256,
    gate: { source: gate.source, metric: gate.gate.metric, reasons: decision },
    by: options.actor,
    at: now.toISOString(),
  };
  const stamp = record.at.replace(/[:.]/g, "-");
  const stored = await to.artifacts.put(
    "artifacts",
    `${pipeline}/promotions/${stamp}-${target.version}.json`,
    new TextEncoder().encode(`${JSON.stringify(record, null, 2)}\n`),
  );
  return { promoted: true, record, recordUri: stored.uri };
}

async function sourceVersion(options: PromoteModelOptions): Promise<ModelVersion> {
  const { pipeline, from } = options;
  if (options.version) {
    const found = await from.registry.getVersion(pipeline, options.version);
    if (!found) throw versionNotFound(pipeline, options.version);
    return found;
  }
  const champion = await from.registry.getChampion(pipeline);
  if (!champion) {
    throw new PromotionRefusedError(
      `Pipeline "${pipeline}" has no champion in ${from.stack}, so there is nothing to promote by ` +
        "default. Pass --version V (list versions with orchard models) or run the pipeline there first.",
    );
  }
  return champion;
}

function checkStatus(version: ModelVersion, stack: string): void {
  if (version.status === "approved") return;
  const why =
    version.status === "rejected"
      ? "it failed its gate there"
      : version.status === "candidate"
        ? "it was never evaluated against the gate"
        : "it was archived";
  throw new PromotionRefusedError(
    `${stack} ${version.version} of "${version.pipeline}" has status "${version.status}": ${why}. ` +
      "Only approved versions can be promoted; pick one with orchard models.",
  );
}

/** The gate that decides, and where it came from (for the record and messages). */
async function targetGate(
  options: PromoteModelOptions,
  source: ModelVersion,
  champion: ModelVersion | null,
): Promise<{ gate: GateSpec; source: string }> {
  const { pipeline, from, to } = options;
  if (options.spec) return { gate: options.spec.gate, source: "--spec" };
  if (to.specUri) {
    return { gate: await readGate(to.artifacts, to.specUri, pipeline), source: to.specUri };
  }
  if (champion) {
    const uri = specUriOf(to.artifacts, pipeline, champion.lineage.specSha256);
    return { gate: await readGate(to.artifacts, uri, pipeline), source: uri };
  }
  const uri = specUriOf(from.artifacts, pipeline, source.lineage.specSha256);
  return { gate: await readGate(from.artifacts, uri, pipeline), source: uri };
}

async function readGate(store: ArtifactStore, uri: string, pipeline: string): Promise<GateSpec> {
  const spec = parseSpec(new TextDecoder().decode(await store.get(uri)), { file: uri });
  if (spec.name !== pipeline) {
    throw new PromotionRefusedError(
      `The spec at ${uri} is for pipeline "${spec.name}", not "${pipeline}". Pass --spec with the right spec.`,
    );
  }
  return spec.gate;
}

function checkGate(
  gate: { gate: GateSpec; source: string },
  version: ModelVersion,
  champion: ModelVersion | null,
  stack: string,
): string[] {
  const metric = gate.gate.metric;
  const value = version.metrics[metric];
  if (value === undefined) {
    throw new PromotionRefusedError(
      `${version.version} has no recorded ${metric}, the metric of ${stack}'s gate (${gate.source}). ` +
        "Promote a version evaluated on that metric, or pass --spec with a gate on a metric it has.",
    );
  }
  let current: { version: string; value: number } | null = null;
  if (champion) {
    const championValue = champion.metrics[metric];
    if (championValue === undefined) {
      throw new PromotionRefusedError(
        `${stack}'s champion ${champion.version} has no recorded ${metric}, so the gate ` +
          `(${gate.source}) cannot compare against it. Pass --spec with a gate on a metric both have.`,
      );
    }
    current = { version: champion.version, value: championValue };
  }
  const decision = decidePromotion(gate.gate, value, current);
  if (!decision.promote) {
    throw new PromotionRefusedError(
      `${version.version} does not pass ${stack}'s gate (${gate.source}): ${decision.reasons.join("; ")}.`,
    );
  }
  return decision.reasons;
}

function specUriOf(store: ArtifactStore, pipeline: string, sha256: string): string {
  return store.uriFor("artifacts", `${pipeline}/specs/${sha256}.yaml`);
}

/** The SHA-256 in a content-addressed URI, else the URI itself (compared as a whole). */
function contentSha(uri: string): string {
  return CONTENT_KEY.exec(parseS3Uri(uri).key)?.[2] ?? uri;
}

/**
 * Copies an object to the same key in the target's artifacts bucket and reads it back; a
 * `PromotionRefusedError` if the bytes differ. Returns the target URI.
 */
async function copyArtifact(from: ArtifactStore, to: ArtifactStore, uri: string): Promise<string> {
  const bytes = await from.get(uri);
  const { key } = parseS3Uri(uri);
  const content = CONTENT_KEY.exec(key);
  const stored =
    content && content[2] === sha256Hex(bytes)
      ? await to.putContent("artifacts", content[1], bytes, content[3])
      : await to.put("artifacts", key, bytes);
  const copied = await to.get(stored.uri);
  if (sha256Hex(copied) !== sha256Hex(bytes)) {
    throw new PromotionRefusedError(
      `The copy of ${uri} at ${stored.uri} does not have the same bytes. Nothing was promoted; try again.`,
    );
  }
  return stored.uri;
}

/** The target's version of this model: an existing one with the same model, else a new one. */
async function targetVersion(
  registry: ModelRegistry,
  pipeline: string,
  source: ModelVersion,
  modelUri: string,
): Promise<ModelVersion> {
  const existing = (await registry.listVersions(pipeline)).find((v) => v.modelUri === modelUri);
  if (existing) return existing;
  return registry.registerVersion(pipeline, {
    modelUri,
    metrics: { ...source.metrics },
    params: { ...source.params },
    lineage: { ...source.lineage },
    status: "approved",
  });
}
