/**
 * `npx tsx bench/capture.ts [--requests 20000]`: what prediction capture adds to one predict
 * request, in process (no HTTP, no network noise): `handleRequest` over a small trained model
 * with capture off and on, interleaved request by request so both see the same machine load.
 * Each request is timed from one event-loop turn before it (as a request arriving over a
 * socket would be) to its answer, so the capture buffer's automatic flushes (every 1,000 rows,
 * built in slices between requests) count against the requests they delay. Prints p50, p99
 * and max per request for both and the difference. Issue 19: capture adds < 1 ms p99.
 *
 * The end-to-end reading over HTTP is `npm run bench:serve` (capture on vs off), whose tail on
 * a loaded machine is dominated by scheduling noise.
 */
import { parseArgs } from "node:util";
import { CaptureBuffer } from "../pipeline/monitor/capture.ts";
import { handleRequest } from "../pipeline/serving/handle.ts";
import { ServedModels } from "../pipeline/serving/served-models.ts";
import { memoryServing, PIPELINE, post, trainBundle } from "../test/serving/fixtures.ts";

const { values } = parseArgs({ options: { requests: { type: "string", default: "20000" } } });
const n = Number(values.requests);

const stores = memoryServing();
await stores.promote(await trainBundle());
const service = new ServedModels({ pipeline: PIPELINE, ...stores });
let written = 0;
const buffer = new CaptureBuffer({
  pipeline: PIPELINE,
  sampleRate: 1,
  exclude: ["email"],
  idColumn: "customer",
  source: "serve",
  sink: async (_key, bytes) => {
    written += bytes.length;
  },
});
const capture = { capture: (r: Parameters<typeof buffer.add>[0]) => buffer.add(r) };

const requests = Array.from({ length: 64 }, (_, i) =>
  post({
    rows: [
      { x: (i % 10) + 0.5, colour: i % 2 ? "red" : "blue", customer: `c${i}`, email: "a@b.c" },
    ],
  }),
);
const off: number[] = [];
const on: number[] = [];
for (let i = 0; i < 2000; i++) await handleRequest(requests[i % 64], service, capture);
await buffer.flush();
for (let i = 0; i < n; i++) {
  const request = requests[i % 64];
  // Alternate which goes first, so neither always meets a warmer cache.
  const order = i % 2 === 0 ? [false, true] : [true, false];
  for (const captured of order) {
    const t0 = performance.now();
    await new Promise((r) => setImmediate(r));
    await handleRequest(request, service, captured ? capture : {});
    (captured ? on : off).push(performance.now() - t0);
  }
}
const t0 = performance.now();
await buffer.close();
const flushMs = performance.now() - t0;

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
};
const line = (name: string, xs: number[]) =>
  `${name.padEnd(12)} p50 ${q(xs, 0.5).toFixed(4)} ms  p99 ${q(xs, 0.99).toFixed(4)} ms  max ${Math.max(...xs).toFixed(3)} ms`;
process.stdout.write(
  `${n} single-row requests each way, in process, interleaved\n${line("capture off", off)}\n${line("capture on", on)}\ncapture adds ${(q(on, 0.5) - q(off, 0.5)).toFixed(4)} ms at p50, ${(q(on, 0.99) - q(off, 0.99)).toFixed(4)} ms at p99 (ratio ${(q(on, 0.99) / q(off, 0.99)).toFixed(2)}); ${buffer.counters.written} rows captured in ${buffer.counters.objects} objects (${(written / 1024).toFixed(0)} KiB), the last flush ${flushMs.toFixed(1)} ms\n`,
);
