/** Messages between the forest trainer and its worker threads (see worker-pool.ts). */
import type { BinnedFeatures } from "./binning.ts";
import type { GrownTree, TreeSettings, TreeTarget } from "./tree-builder.ts";

/** `workerData` of a forest worker; the big arrays are backed by SharedArrayBuffers. */
export interface WorkerInit {
  data: BinnedFeatures;
  target: TreeTarget;
  settings: TreeSettings;
  nTrees: number;
  /** Int32Array over a SharedArrayBuffer; slot 0 is the next unclaimed tree index. */
  nextTree: Int32Array;
}

/** Worker -> trainer: one grown tree, a failure, or "no trees left". */
export type WorkerReply =
  | { kind: "tree"; treeIndex: number; tree: GrownTree }
  | { kind: "error"; treeIndex: number; message: string }
  | { kind: "done" };

/** Claims the next tree to grow, or -1 when all are claimed (safe across threads). */
export function claimTree(nextTree: Int32Array, nTrees: number): number {
  const i = Atomics.add(nextTree, 0, 1);
  return i < nTrees ? i : -1;
}

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
