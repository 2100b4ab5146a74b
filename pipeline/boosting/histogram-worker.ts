/**
 * A histogram worker (see parallel-histogram.ts): waits for a job in the shared control
 * array, sums its slice of the node's features into the shared result, counts itself done.
 */
import { parentPort, workerData } from "node:worker_threads";
import { arenaViews, sumHistograms } from "./histogram.ts";
import { histogramKernels } from "./histogram-wasm.ts";
import {
  CONST_H,
  COUNT,
  DONE,
  END,
  FAILED,
  GEN,
  type HistogramWorkerInit,
  OUTPUT,
  START,
  STOP,
  sliceOf,
} from "./parallel-histogram.ts";

const port = parentPort;
if (!port) throw new Error("pipeline/boosting/histogram-worker.ts must run in a worker thread");
const init = workerData as HistogramWorkerInit;
const { ctrl, data, layout } = init;
const views = arenaViews(init.memory, layout, data.nRows, data.nFeatures, init.nOutputs);
const kernels = { fns: histogramKernels(init.memory, true), layout };
let seen = Atomics.load(ctrl, GEN);
port.postMessage("ready");
for (;;) {
  Atomics.wait(ctrl, GEN, seen);
  seen = Atomics.load(ctrl, GEN);
  if (Atomics.load(ctrl, STOP) !== 0) break;
  try {
    const m = ctrl[COUNT];
    const [k0, k1] = sliceOf(init.index, init.threads, m);
    sumHistograms(
      data,
      views,
      views.scratch,
      ctrl[START],
      ctrl[END],
      views.features,
      k0,
      k1,
      ctrl[CONST_H] === 1,
      ctrl[OUTPUT],
      kernels,
    );
  } catch (err) {
    console.error(err);
    Atomics.store(ctrl, FAILED, 1);
  }
  Atomics.add(ctrl, DONE, 1);
  Atomics.notify(ctrl, DONE);
}
