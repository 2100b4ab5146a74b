/**
 * Where a model's TreeSHAP cover is stored and how: the node cover counted over the model's
 * training rows (see tree-shap.ts), written by the Report step next to the model, read by
 * `orchard predict --explain` and the predict API. Raw little-endian float64, one per node of
 * the forest's flat arrays; the length is checked against the forest on read.
 */
import { ArtifactError } from "../errors.ts";
import type { FlatForest } from "../forest/forest-model.ts";

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
