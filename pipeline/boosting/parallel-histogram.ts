/**
 * Histograms summed by several threads: the calling thread and `threads - 1` workers split
 * each node's feature list into contiguous slices, every slice summed by one thread in row
 * order, so the sums are the same bits as in one thread. Boosting grows one tree after the
 * other, so unlike the forest (one tree per thread) the threads share each tree's work.
 *
 * The trainer is synchronous: it publishes a job in a shared control array, wakes the workers
 * with Atomics.notify, sums its own slice, and blocks on Atomics.wait until every worker has
 * counted itself done. Every thread runs the WebAssembly kernel over the arena's shared memory
 * (histogram.ts) into its scratch histogram (disjoint features); the trainer copies the
 * node's features out of it. Small nodes are summed in the calling thread alone: waking the
 * workers costs more than the sums.
 *
 * Workers start from sources (worker-bootstrap.mjs registers tsx, as the forest's do). In a
 * bundle (import.meta.url is not a .ts file) there is no worker entry, so training runs in
 * the calling thread: same model, one core.
 */
import { Worker } from "node:worker_threads";
import type { BinnedFeatures } from "../forest/binning.ts";
import {
  type ArenaLayout,
  type ArenaViews,
  copyFeatures,
  createArena,
  type HistogramSource,
  sumHistograms,
} from "./histogram.ts";
import { type HistogramKernels, histogramKernels } from "./histogram-wasm.ts";

/** Control slots. */
export const GEN = 0;
export const START = 1;
export const END = 2;
export const CONST_H = 3;
export const COUNT = 4;
export const DONE = 5;
export const STOP = 6;
export const FAILED = 7;
export const OUTPUT = 8;

/** Below this many (row, feature) pairs a node is summed in the calling thread alone. */
const PARALLEL_MIN_WORK = 1 << 16;
/** A worker silent this long has died (an exception is reported through FAILED). */
const WAIT_LIMIT_MS = 120_000;

export interface HistogramWorkerInit {
  data: BinnedFeatures;
  /** The arena's shared memory: bins, rows, gradients, hessians, features, the result. */
  memory: WebAssembly.Memory;
  layout: ArenaLayout;
  nOutputs: number;
  ctrl: Int32Array;
  /** This worker's slice index (1..threads-1; the trainer is 0). */
  index: number;
  threads: number;
}

/** The slice of a feature list of length m that thread j of `threads` sums. */
export function sliceOf(j: number, threads: number, m: number): [number, number] {
  return [Math.floor((j * m) / threads), Math.floor(((j + 1) * m) / threads)];
}

const sharedI32 = (n: number) => new Int32Array(new SharedArrayBuffer(n * 4));

export function parallelAvailable(): boolean {
  return (import.meta.url as string | undefined)?.endsWith(".ts") === true;
}

class ParallelHistogramSource implements HistogramSource {
  readonly rows: Int32Array;
  readonly gradients: Float64Array;
  readonly hessians: Float64Array;
  private readonly ctrl: Int32Array;
  private readonly workers: Worker[] = [];
  private readonly kernels: { fns: HistogramKernels; layout: ArenaLayout };

  constructor(
    private readonly data: BinnedFeatures,
    private readonly threads: number,
    private readonly memory: WebAssembly.Memory,
    private readonly layout: ArenaLayout,
    private readonly views: ArenaViews,
  ) {
    this.rows = views.rows;
    this.gradients = views.gradients;
    this.hessians = views.hessians;
    this.ctrl = sharedI32(9);
    this.kernels = { fns: histogramKernels(memory, true), layout };
  }

  async start(): Promise<void> {
    const url = new URL("./worker-bootstrap.mjs", import.meta.url);
    const ready: Promise<void>[] = [];
    for (let j = 1; j < this.threads; j++) {
      const init: HistogramWorkerInit = {
        data: this.data,
        memory: this.memory,
        layout: this.layout,
        nOutputs: this.gradients.length / this.data.nRows,
        ctrl: this.ctrl,
        index: j,
        threads: this.threads,
      };
      const worker = new Worker(url, { workerData: init });
      this.workers.push(worker);
      ready.push(
        new Promise((resolve, reject) => {
          worker.once("message", () => resolve());
          worker.once("error", reject);
        }),
      );
    }
    await Promise.all(ready);
  }

  build(
    hist: Float64Array,
    start: number,
    end: number,
    features: Int32Array,
    constH: boolean,
    output: number,
  ) {
    const m = features.length;
    const { ctrl, views, kernels } = this;
    const { scratch } = views;
    views.features.set(features);
    if ((end - start) * m < PARALLEL_MIN_WORK || m < this.threads) {
      sumHistograms(this.data, views, scratch, start, end, features, 0, m, constH, output, kernels);
      copyFeatures(scratch, hist, features, 0, m, this.data.nValueBins);
      return;
    }
    ctrl[START] = start;
    ctrl[END] = end;
    ctrl[CONST_H] = constH ? 1 : 0;
    ctrl[COUNT] = m;
    ctrl[OUTPUT] = output;
    Atomics.store(ctrl, DONE, 0);
    Atomics.add(ctrl, GEN, 1);
    Atomics.notify(ctrl, GEN);
    const [k0, k1] = sliceOf(0, this.threads, m);
    sumHistograms(this.data, views, scratch, start, end, features, k0, k1, constH, output, kernels);
    const others = this.threads - 1;
    for (let done = Atomics.load(ctrl, DONE); done < others; done = Atomics.load(ctrl, DONE)) {
      if (Atomics.wait(ctrl, DONE, done, WAIT_LIMIT_MS) === "timed-out") {
        throw new Error(`A histogram worker did not answer within ${WAIT_LIMIT_MS / 1000} s`);
      }
    }
    if (Atomics.load(ctrl, FAILED) !== 0) {
      throw new Error("A histogram worker failed; see its error on stderr");
    }
    copyFeatures(scratch, hist, features, 0, m, this.data.nValueBins);
  }

  async close(): Promise<void> {
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    await Promise.allSettled(this.workers.map((w) => w.terminate()));
  }
}

/**
 * A histogram source over `threads` threads (the caller included), or the in-thread one when
 * workers cannot start from here (a bundle).
 */
export async function startParallelHistograms(
  data: BinnedFeatures,
  threads: number,
  nOutputs: number,
): Promise<HistogramSource> {
  const { LocalHistogramSource } = await import("./histogram.ts");
  const arena = parallelAvailable() && threads >= 2 ? createArena(data, nOutputs, true) : null;
  if (!arena) return new LocalHistogramSource(data, nOutputs);
  const source = new ParallelHistogramSource(
    data,
    threads,
    arena.memory,
    arena.layout,
    arena.views,
  );
  try {
    await source.start();
  } catch (err) {
    await source.close();
    throw err;
  }
  return source;
}
