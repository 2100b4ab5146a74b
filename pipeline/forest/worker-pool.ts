/**
 * Grows trees on several threads: the calling thread plus `threads - 1` worker threads. All
 * of them claim tree indices from one shared atomic counter, so a slow tree never idles a
 * core and no thread waits for a message to get work. Each worker receives the binned matrix
 * and target once, backed by SharedArrayBuffers (no per-tree copies), and moves each grown
 * tree back. Trees reach `onTree` strictly in index order, whoever grew them.
 *
 * The calling thread yields to its event loop between its own trees, which is when worker
 * results are received. Using it as one of the threads saves a whole worker (an isolate,
 * tens of MB) and its start-up time.
 *
 * Starting a worker: from sources (this file is `.ts`) the worker runs worker-bootstrap.mjs,
 * which registers tsx and imports worker.ts — this works under tsx, vitest and
 * `node bin/orchard.js`. From a bundle (ESM or CommonJS), the bundler must emit
 * pipeline/forest/worker.ts as `forest-worker.js` next to the bundle that contains this code
 * (bench/forest.ts builds exactly that).
 */
import { join } from "node:path";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { type GrownTree, TreeBuilder } from "./tree-builder.ts";
import { claimTree, type WorkerInit, type WorkerReply } from "./worker-protocol.ts";

export const BUNDLED_WORKER_FILE = "forest-worker.js";

export function workerEntryUrl(): URL {
  // import.meta.url is empty in a CommonJS bundle; __dirname exists only there
  const here = import.meta.url as string | undefined;
  if (here?.endsWith(".ts")) return new URL("./worker-bootstrap.mjs", here);
  if (here) return new URL(`./${BUNDLED_WORKER_FILE}`, here);
  return pathToFileURL(join(__dirname, BUNDLED_WORKER_FILE));
}

export interface ParallelOptions {
  /**
   * Whether the calling thread grows trees too (default). Off, `threads` worker threads grow
   * them all: tests use this to make sure workers really build the trees they compare.
   */
  callerGrows?: boolean;
}

export async function growTreesInParallel(
  init: Omit<WorkerInit, "nTrees" | "nextTree">,
  nTrees: number,
  threads: number,
  onTree: (tree: GrownTree, treeIndex: number) => void,
  options: ParallelOptions = {},
): Promise<void> {
  const callerGrows = options.callerGrows ?? true;
  const nextTree = new Int32Array(new SharedArrayBuffer(4));
  const workerInit: WorkerInit = { ...init, nTrees, nextTree };
  const pending = new Map<number, GrownTree>();
  let nextToEmit = 0;
  let failure: unknown = null;
  let running = 0;
  let shuttingDown = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };

  const deliver = (tree: GrownTree, i: number) => {
    pending.set(i, tree);
    while (failure === null && pending.has(nextToEmit)) {
      const next = pending.get(nextToEmit)!;
      pending.delete(nextToEmit);
      try {
        onTree(next, nextToEmit++);
      } catch (err) {
        failure = err;
      }
    }
  };

  const workers: Worker[] = [];
  const nWorkers = Math.min(threads, nTrees) - (callerGrows ? 1 : 0);
  for (let w = 0; w < nWorkers; w++) {
    const worker = new Worker(workerEntryUrl(), { workerData: workerInit });
    running++;
    let finished = false;
    const stop = (err: unknown) => {
      if (finished || shuttingDown) return;
      finished = true;
      running--;
      if (err !== null && failure === null) failure = err;
      notify();
    };
    worker.on("message", (msg: WorkerReply) => {
      if (msg.kind === "tree") deliver(msg.tree, msg.treeIndex);
      else if (msg.kind === "error") {
        stop(new Error(`Growing tree ${msg.treeIndex} failed in a worker: ${msg.message}`));
      } else stop(null);
      notify();
    });
    worker.on("error", (err) => stop(err));
    worker.on("exit", (code) =>
      stop(code === 0 ? null : new Error(`A forest worker exited with code ${code}`)),
    );
    workers.push(worker);
  }

  try {
    if (callerGrows) {
      const builder = new TreeBuilder(init.data, init.target, init.settings);
      for (let i = claimTree(nextTree, nTrees); i >= 0 && failure === null; ) {
        deliver(builder.grow(i), i);
        await yieldToEventLoop();
        i = claimTree(nextTree, nTrees);
      }
    }
    // wait for the trees the workers still grow
    while (failure === null && nextToEmit < nTrees && running > 0) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    // workers still starting or finishing are not needed any more: their exit is no failure
    shuttingDown = true;
    Atomics.store(nextTree, 0, nTrees);
    await Promise.allSettled(workers.map((w) => w.terminate()));
  }
  if (failure !== null) throw failure;
  if (nextToEmit !== nTrees) throw new Error(`Only ${nextToEmit} of ${nTrees} trees were grown`);
}
