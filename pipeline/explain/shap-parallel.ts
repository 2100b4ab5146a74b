/**
 * TreeSHAP over worker threads, with the forest's own worker mechanism
 * (pipeline/forest/worker-pool.ts): the same worker entry (it tells the jobs apart by their
 * `workerData`), the same bundling, the calling thread working too, and threads claiming tree
 * indices from one shared counter. Each thread computes all rows for the trees it claims and
 * moves each tree's values back; they are added to the total strictly in tree order, exactly
 * as the single-thread loop adds them, so the result has the same bits for any thread count.
 *
 * The forest, the cover and the rows are copied once into SharedArrayBuffers; a worker costs
 * its start-up (tens of ms bundled, more from sources through tsx), so small jobs stay in the
 * calling thread.
 */
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { Worker } from "node:worker_threads";
import type { FeatureMatrix } from "../data/frame.ts";
import { checkMatrixWidth, type FlatForest } from "../forest/forest-model.ts";
import { workerEntryUrl } from "../forest/worker-pool.ts";
import { claimTree } from "../forest/worker-protocol.ts";
import { TreeShapKernel } from "./fast-tree-shap.ts";
import { checkCover, expectedValue, outputsOf, type ShapValues, treeShap } from "./tree-shap.ts";

/**
 * Below this many (row, node) visits (about 2 s in one thread) one thread is about as quick as
 * starting workers, which from sources through tsx takes a second or more on a loaded machine.
 */
export const PARALLEL_MIN_WORK = 20_000_000;

/** `workerData` of a TreeSHAP job; every array is backed by a SharedArrayBuffer. */
export interface ShapWorkerInit {
  kind: "tree-shap";
  flat: FlatForest;
  cover: Float64Array;
  x: Float64Array;
  cols: number;
  rows: number;
  nTrees: number;
  /** Int32Array over a SharedArrayBuffer; slot 0 is the next unclaimed tree. */
  nextTree: Int32Array;
}

export type ShapWorkerReply =
  | { kind: "shap-tree"; treeIndex: number; values: Float64Array }
  | { kind: "error"; treeIndex: number; message: string }
  | { kind: "done" };

export interface ShapParallelOptions {
  /** Default true. Off, only worker threads compute (tests use it to be sure workers ran). */
  callerComputes?: boolean;
  /** Use workers whatever the size of the job (tests). */
  force?: boolean;
}

function shared<T extends Int32Array | Float64Array | Uint8Array>(
  a: T,
  make: (b: SharedArrayBuffer) => T,
): T {
  const out = make(new SharedArrayBuffer(Math.max(1, a.byteLength)));
  out.set(a as never);
  return out;
}

/** Computes each claimed tree for every row and posts it back (the worker's side). */
export function runShapWorker(init: ShapWorkerInit, post: (reply: ShapWorkerReply) => void): void {
  const kernel = new TreeShapKernel(init.flat, init.cover);
  const size = init.rows * kernel.features * kernel.outputs;
  for (let t = claimTree(init.nextTree, init.nTrees); t >= 0; ) {
    try {
      const values = new Float64Array(size);
      kernel.explainTree(t, init.x, init.cols, init.rows, values);
      post({ kind: "shap-tree", treeIndex: t, values });
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      post({ kind: "error", treeIndex: t, message });
      return;
    }
    t = claimTree(init.nextTree, init.nTrees);
  }
  post({ kind: "done" });
}

/**
 * The SHAP values of every row of X on up to `threads` threads (the calling one included);
 * the same values, bit for bit, as `treeShap`.
 */
export async function treeShapParallel(
  flat: FlatForest,
  cover: Float64Array,
  X: FeatureMatrix,
  threads: number,
  options: ShapParallelOptions = {},
): Promise<ShapValues> {
  checkMatrixWidth(X, flat.nFeatures);
  checkCover(flat, cover);
  const nTrees = flat.treeNodeOffset.length - 1;
  const callerComputes = options.callerComputes ?? true;
  const work = X.rows * flat.feature.length;
  const useWorkers =
    (threads > 1 && nTrees > 1 && (options.force || work >= PARALLEL_MIN_WORK)) || !callerComputes;
  if (!useWorkers) return treeShap(flat, cover, X);

  const V = outputsOf(flat);
  const F = flat.nFeatures;
  const size = X.rows * F * V;
  const init: ShapWorkerInit = {
    kind: "tree-shap",
    flat: {
      ...flat,
      treeNodeOffset: shared(flat.treeNodeOffset, (b) => new Int32Array(b)),
      treeLeafOffset: shared(flat.treeLeafOffset, (b) => new Int32Array(b)),
      feature: shared(flat.feature, (b) => new Int32Array(b)),
      threshold: shared(flat.threshold, (b) => new Float64Array(b)),
      left: shared(flat.left, (b) => new Int32Array(b)),
      right: shared(flat.right, (b) => new Int32Array(b)),
      missingLeft: shared(flat.missingLeft, (b) => new Uint8Array(b)),
      values: shared(flat.values, (b) => new Float64Array(b)),
      featureImportance: new Float64Array(0),
    },
    cover: shared(cover, (b) => new Float64Array(b)),
    x: shared(X.values.subarray(0, X.rows * X.cols), (b) => new Float64Array(b)),
    cols: X.cols,
    rows: X.rows,
    nTrees,
    nextTree: new Int32Array(new SharedArrayBuffer(4)),
  };

  const total = new Float64Array(size);
  const pending = new Map<number, Float64Array>();
  let nextToAdd = 0;
  let failure: unknown = null;
  let running = 0;
  let shuttingDown = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  // trees are added in index order whoever computed them: the same sums as one thread
  const deliver = (t: number, values: Float64Array) => {
    pending.set(t, values);
    while (pending.has(nextToAdd)) {
      const part = pending.get(nextToAdd)!;
      pending.delete(nextToAdd++);
      for (let i = 0; i < size; i++) total[i] += part[i];
    }
  };

  const workers: Worker[] = [];
  const nWorkers = Math.min(threads, nTrees) - (callerComputes ? 1 : 0);
  for (let w = 0; w < Math.max(1, nWorkers); w++) {
    const worker = new Worker(workerEntryUrl(), { workerData: init });
    running++;
    let finished = false;
    const stop = (err: unknown) => {
      if (finished || shuttingDown) return;
      finished = true;
      running--;
      if (err !== null && failure === null) failure = err;
      notify();
    };
    worker.on("message", (msg: ShapWorkerReply) => {
      if (msg.kind === "shap-tree") deliver(msg.treeIndex, msg.values);
      else if (msg.kind === "error") {
        stop(new Error(`TreeSHAP of tree ${msg.treeIndex} failed in a worker: ${msg.message}`));
      } else stop(null);
      notify();
    });
    worker.on("error", (err) => stop(err));
    worker.on("exit", (code) =>
      stop(code === 0 ? null : new Error(`A TreeSHAP worker exited with code ${code}`)),
    );
    workers.push(worker);
  }

  try {
    if (callerComputes) {
      const kernel = new TreeShapKernel(flat, cover);
      for (let t = claimTree(init.nextTree, nTrees); t >= 0 && failure === null; ) {
        const values = new Float64Array(size);
        kernel.explainTree(t, X.values, X.cols, X.rows, values);
        deliver(t, values);
        // receive what the workers finished meanwhile
        await yieldToEventLoop();
        t = claimTree(init.nextTree, nTrees);
      }
    }
    while (failure === null && nextToAdd < nTrees && running > 0) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    shuttingDown = true;
    Atomics.store(init.nextTree, 0, nTrees);
    await Promise.allSettled(workers.map((w) => w.terminate()));
  }
  if (failure !== null) throw failure;
  if (nextToAdd !== nTrees)
    throw new Error(`TreeSHAP of only ${nextToAdd} of ${nTrees} trees arrived`);
  for (let i = 0; i < size; i++) total[i] /= nTrees;
  return {
    rows: X.rows,
    features: F,
    outputs: V,
    values: total,
    expected: expectedValue(flat, cover),
  };
}
