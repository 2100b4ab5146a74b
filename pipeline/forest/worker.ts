/**
 * Entry of a forest worker thread: builds one TreeBuilder over the shared binned data, then
 * claims tree indices from the shared counter until none are left, moving each grown tree
 * back to the trainer. Kept as its own file so a bundler can emit it as a second entry (see
 * worker-pool.ts). The same entry runs TreeSHAP jobs (pipeline/explain/shap-parallel.ts),
 * told apart by their `workerData`, so explanations need no second worker file or bundle.
 */
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import { runShapWorker, type ShapWorkerInit } from "../explain/shap-parallel.ts";
import { TreeBuilder } from "./tree-builder.ts";
import {
  claimTree,
  treeTransferList,
  type WorkerInit,
  type WorkerReply,
} from "./worker-protocol.ts";

const port = parentPort;
if (!port) throw new Error("pipeline/forest/worker.ts must run in a worker thread");

if ((workerData as { kind?: string }).kind === "tree-shap") {
  runShapWorker(workerData as ShapWorkerInit, (reply) =>
    port.postMessage(reply, reply.kind === "shap-tree" ? [reply.values.buffer as ArrayBuffer] : []),
  );
} else {
  growTrees(port, workerData as WorkerInit);
}

function growTrees(port: MessagePort, init: WorkerInit): void {
  const builder = new TreeBuilder(init.data, init.target, init.settings);
  for (
    let i = claimTree(init.nextTree, init.nTrees);
    i >= 0;
    i = claimTree(init.nextTree, init.nTrees)
  ) {
    try {
      const tree = builder.grow(i);
      port.postMessage(
        { kind: "tree", treeIndex: i, tree } satisfies WorkerReply,
        treeTransferList(tree),
      );
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      port.postMessage({ kind: "error", treeIndex: i, message } satisfies WorkerReply);
      break;
    }
  }
  port.postMessage({ kind: "done" } satisfies WorkerReply);
}
