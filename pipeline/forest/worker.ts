/**
 * Entry of a forest worker thread: builds one TreeBuilder over the shared binned data, then
 * grows whichever tree index the trainer asks for and moves the result back. Kept as its own
 * file so a bundler can emit it as a second entry (see worker-pool.ts).
 */
import { parentPort, workerData } from "node:worker_threads";
import { TreeBuilder } from "./tree-builder.ts";
import {
  type GrowReply,
  type GrowRequest,
  treeTransferList,
  type WorkerInit,
} from "./worker-protocol.ts";

const port = parentPort;
if (!port) throw new Error("pipeline/forest/worker.ts must run in a worker thread");
const init = workerData as WorkerInit;
const builder = new TreeBuilder(init.data, init.target, init.settings);

port.on("message", (msg: GrowRequest) => {
  let reply: GrowReply;
  try {
    const tree = builder.grow(msg.treeIndex);
    port.postMessage(
      { treeIndex: msg.treeIndex, tree } satisfies GrowReply,
      treeTransferList(tree),
    );
    return;
  } catch (err) {
    reply = {
      treeIndex: msg.treeIndex,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    };
  }
  port.postMessage(reply);
});
