/**
 * One Orchard run of the boosting benchmark, in a process of its own so its peak RSS is its
 * own: read the split, fit, predict, print one JSON object.
 *
 * Usage: tsx bench/gbdt-run.ts '{"dir":..,"workers":..,"iterations":..,"seed":..,
 *   "trainRows":..,"testRows":..,"features":..,"classes":[..]}'
 */
import { defaultBoostingParams, fitBoosting } from "../pipeline/boosting/index.ts";
import { readSplit, type SplitShape } from "./split-files.ts";

interface RunArgs extends SplitShape {
  dir: string;
  workers: number;
  iterations: number;
  seed: number;
}

const args = JSON.parse(process.argv[2]) as RunArgs;
const { train, test } = readSplit(args.dir, args);
// scikit-learn HistGradientBoosting's defaults, early stopping off as for the peers
const params = {
  ...defaultBoostingParams(args.seed),
  iterations: args.iterations,
  earlyStopping: false,
};
const cpu0 = process.cpuUsage();
let t0 = performance.now();
const model = await fitBoosting(train.X, train.y, params, { workers: args.workers });
const fitSeconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
t0 = performance.now();
const predicted = model.predict(test.X);
const predictSeconds = (performance.now() - t0) / 1000;
let correct = 0;
for (let i = 0; i < predicted.length; i++) if (predicted[i] === test.y.codes[i]) correct++;
process.stdout.write(
  `${JSON.stringify({
    fitSeconds,
    predictSeconds,
    accuracy: correct / predicted.length,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    fitCpuSeconds: (cpu.user + cpu.system) / 1e6,
    rounds: model.rounds,
  })}\n`,
);
