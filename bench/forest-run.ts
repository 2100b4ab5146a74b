/**
 * One engine run of the forest benchmark, in a process of its own so its peak RSS is only
 * its own: read the split, fit, predict, print one JSON object. Worker threads live in this
 * process, so `process.resourceUsage().maxRSS` includes them.
 *
 * Usage: tsx bench/forest-run.ts '{"dir":..,"engine":..,"workers":..,"trees":..,"seed":..,
 *   "trainRows":..,"testRows":..,"features":..,"classes":[..]}'
 */
import { fitForest } from "../pipeline/forest/index.ts";
import type { Engine } from "../pipeline/forest/types.ts";
import { readSplit, type SplitShape } from "./split-files.ts";

interface RunArgs extends SplitShape {
  dir: string;
  engine: Engine;
  workers: number;
  trees: number;
  seed: number;
}

const args = JSON.parse(process.argv[2]) as RunArgs;
const { train, test } = readSplit(args.dir, args);
const params = {
  trees: args.trees,
  maxDepth: null,
  minSamplesLeaf: 1,
  maxFeatures: "sqrt" as const,
  bootstrap: true,
  seed: args.seed,
};
const cpu0 = process.cpuUsage();
let t0 = performance.now();
const model = await fitForest(train.X, train.y, params, {
  engine: args.engine,
  workers: args.workers,
});
const fitSeconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const fitCpuSeconds = (cpu.user + cpu.system) / 1e6;
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
    oobScore: model.oobScore,
    fitCpuSeconds,
  })}\n`,
);
