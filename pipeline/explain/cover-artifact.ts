/**
 * Where a model's TreeSHAP cover is stored and how: the node cover counted over the model's
 * training rows, weighted by each tree's in-bag counts (see tree-shap.ts), written by the
 * Report step next to the model, read by `orchard predict --explain` and the predict API.
 * Raw little-endian float64, one per node of the forest's flat arrays; the length is checked
 * against the forest on read. Covers written before the in-bag weighting counted every
 * training row once; they still load and explain exactly, under that older expectation.
 */
import { ArtifactError, ArtifactNotFoundError } from "../errors.ts";
import type { FlatForest } from "../forest/forest-model.ts";
import type { ArtifactStore } from "../store.ts";

/** The model's content hash from its content-addressed URI (`…/models/<sha256>.orchard-model`). */
export function modelShaOf(modelUri: string): string {
  const m = /\/([0-9a-f]{64})\.[^/]+$/.exec(modelUri);
  if (!m) {
    throw new ArtifactError(
      `model URI ${modelUri} is not content-addressed (…/<sha256>.orchard-model); explanations are kept per model hash — re-register the model from a pipeline run`,
    );
  }
  return m[1];
}

/** Key in the artifacts bucket; the file name does not start with the hash, so it is not read as content-addressed. */
export function coverKey(pipeline: string, modelUri: string): string {
  return `${pipeline}/explainers/model-${modelShaOf(modelUri)}.cover`;
}

export function coverToBytes(cover: Float64Array): Uint8Array {
  const out = new Uint8Array(cover.length * 8);
  const view = new DataView(out.buffer);
  cover.forEach((v, i) => {
    view.setFloat64(i * 8, v, true);
  });
  return out;
}

export function coverFromBytes(bytes: Uint8Array, flat: FlatForest, source: string): Float64Array {
  const nodes = flat.feature.length;
  if (bytes.length !== nodes * 8) {
    throw new ArtifactError(
      `${source} holds ${bytes.length / 8} node covers but the model has ${nodes} nodes; it belongs to another model — rerun the pipeline to rewrite it`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float64Array.from({ length: nodes }, (_, i) => view.getFloat64(i * 8, true));
}

/**
 * The stored cover of a registered model; an ArtifactError saying what to do when the model
 * has none (it was trained before explanations were kept, or promoted from another stack).
 */
export async function loadCover(
  artifacts: ArtifactStore,
  pipeline: string,
  model: { version: string; modelUri: string },
  flat: FlatForest,
): Promise<Float64Array> {
  const uri = artifacts.uriFor("artifacts", coverKey(pipeline, model.modelUri));
  let bytes: Uint8Array;
  try {
    bytes = await artifacts.get(uri);
  } catch (err) {
    if (!(err instanceof ArtifactNotFoundError)) throw err;
    throw new ArtifactError(
      `model ${model.version} of "${pipeline}" has no explainer at ${uri}: it was trained before explanations were kept, or copied from another stack without it; run the pipeline again to train a model with one`,
      {},
      { cause: err },
    );
  }
  return coverFromBytes(bytes, flat, uri);
}
