/**
 * One Orchard run of the linear part of bench:gbdt, in a process of its own: read the split,
 * standardize with the training rows' mean and deviation (what the preprocessor does), fit
 * L2 logistic regression (C = 1), predict, print one JSON object with the coefficients.
 *
 * Usage: tsx bench/linear-run.ts '{"dir":..,"trainRows":..,"testRows":..,"features":..,"classes":[..]}'
 */
import { fitLinear } from "../pipeline/linear/index.ts";
import { readSplit, type SplitShape } from "./split-files.ts";

const args = JSON.parse(process.argv[2]) as SplitShape & { dir: string };
const { train, test } = readSplit(args.dir, args);
const F = train.X.cols;
const mean = new Float64Array(F);
const sd = new Float64Array(F);
for (let r = 0; r < train.X.rows; r++)
  for (let f = 0; f < F; f++) mean[f] += train.X.values[r * F + f] / train.X.rows;
for (let r = 0; r < train.X.rows; r++) {
  for (let f = 0; f < F; f++) sd[f] += (train.X.values[r * F + f] - mean[f]) ** 2 / train.X.rows;
}
for (const X of [train.X, test.X]) {
  for (let i = 0; i < X.values.length; i++) {
    const f = i % F;
    X.values[i] = (X.values[i] - mean[f]) / (Math.sqrt(sd[f]) || 1);
  }
}
const cpu0 = process.cpuUsage();
let t0 = performance.now();
const model = fitLinear(train.X, train.y, { kind: "logistic-regression", C: 1, alpha: 1 });
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
    fitCpuSeconds: (cpu.user + cpu.system) / 1e6,
    predictSeconds,
    accuracy: correct / predicted.length,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    coef: [...Array.from(model.flat.coef), model.flat.intercept[0]],
  })}\n`,
);
