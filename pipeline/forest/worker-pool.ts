/**
 * Grows trees on worker threads. Each worker gets the binned matrix and target once, backed by
 * SharedArrayBuffers (no per-tree copies), then is handed tree indices one at a time as it
 * frees up, so a slow tree never idles the other cores. Finished trees are handed to `onTree`
 * strictly in index order, whatever order they finish in.
 *
 * Starting a worker: from sources (this file is `.ts`) the worker runs worker-bootstrap.mjs,
 * which registers tsx and imports worker.ts — this works under tsx, vitest and
 * `node bin/orchard.js`. From a bundle (this module is `.js`), the bundler must emit
 * pipeline/forest/worker.ts as `forest-worker.js` next to the bundle that contains this code.
 */
import { Worker } from "node:worker_threads";
import type { GrownTree } from "./tree-builder.ts";
import type { GrowReply, WorkerInit } from "./worker-protocol.ts";

export const BUNDLED_WORKER_FILE = "forest-worker.js";

export function workerEntryUrl(): URL {
  const here = import.meta.url;
  return here.endsWith(".ts")
    ? new URL("./worker-bootstrap.mjs", here)
    : new URL(`./${BUNDLED_WORKER_FILE}`, here);
}

export function growTreesInWorkers(
  init: WorkerInit,
  nTrees: number,
  nWorkers: number,
  onTree: (tree: GrownTree, treeIndex: number) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const workers: Worker[] = [];
    const pending = new Map<number, GrownTree>();
    let nextToSend = 0;
    let nextToEmit = 0;
    let settled = false;

    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      const stops = workers.map((w) => w.terminate());
      Promise.allSettled(stops).then(() => (err ? reject(err) : resolve()));
    };

    const sendNext = (w: Worker) => {
      if (nextToSend < nTrees) w.postMessage({ treeIndex: nextToSend++ });
    };

    const onReply = (w: Worker, reply: GrowReply) => {
      if (settled) return;
      if (reply.error !== undefined) {
        finish(new Error(`Growing tree ${reply.treeIndex} failed in a worker: ${reply.error}`));
        return;
      }
      sendNext(w);
      pending.set(reply.treeIndex, reply.tree);
      try {
        while (pending.has(nextToEmit)) {
          const tree = pending.get(nextToEmit)!;
          pending.delete(nextToEmit);
          onTree(tree, nextToEmit++);
        }
      } catch (err) {
        finish(err);
        return;
      }
      if (nextToEmit === nTrees) finish();
    };

    const count = Math.max(1, Math.min(nWorkers, nTrees));
    for (let i = 0; i < count; i++) {
      const w = new Worker(workerEntryUrl(), { workerData: init });
      workers.push(w);
      w.on("message", (reply: GrowReply) => onReply(w, reply));
      w.on("error", (err) => finish(err));
      w.on("exit", (code) => {
        if (!settled) finish(new Error(`A forest worker exited early with code ${code}`));
      });
      sendNext(w);
    }
  });
}
