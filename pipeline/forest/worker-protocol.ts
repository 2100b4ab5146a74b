/** Messages between the forest trainer and its worker threads (see worker-pool.ts). */
import type { BinnedFeatures } from "./binning.ts";
import type { GrownTree, TreeSettings, TreeTarget } from "./tree-builder.ts";

/** `workerData` of a forest worker; the big arrays are backed by SharedArrayBuffers. */
export interface WorkerInit {
  data: BinnedFeatures;
  target: TreeTarget;
  settings: TreeSettings;
}

/** Trainer -> worker: grow this tree. */
export interface GrowRequest {
  treeIndex: number;
}

/** Worker -> trainer. */
export type GrowReply =
  | { treeIndex: number; tree: GrownTree; error?: undefined }
  | { treeIndex: number; tree?: undefined; error: string };

/** The buffers of a tree, moved (not copied) back to the trainer. */
export function treeTransferList(tree: GrownTree): ArrayBuffer[] {
  const arrays = [
    tree.feature,
    tree.threshold,
    tree.left,
    tree.right,
    tree.missingLeft,
    tree.values,
    tree.importance,
  ];
  if (tree.oobLeaf) arrays.push(tree.oobLeaf);
  return arrays.map((a) => a.buffer as ArrayBuffer);
}
