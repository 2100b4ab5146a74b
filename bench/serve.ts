/**
 * `npm run bench:serve [-- --seconds 30 --rate 1000 --connections 10 --json]`: autocannon
 * against `orchard serve` on loopback at a fixed request rate with single-row bodies (the
 * penguins champion, trained first into a temp state directory), then the same load against
 * a plain node:http server that answers a constant: the ceiling on this machine. Prints p50,
 * p99, max, requests/s, errors and the server's RSS at the start and the end of the load.
 * Target: p99 ≤ 5 ms, 0 errors, RSS flat.
 *
 * `orchard serve` runs twice: without prediction capture and with it (every request captured,
 * batches written to the local S3 under capture/). The last line prints both p99s (as sent)
 * and their difference: issue 19 asks capture to add less than 1 ms.
 *
 * Each server is measured twice: with autocannon's coordinated-omission correction (its
 * default) and without. autocannon's rate limiter sends each connection's per-second quota
 * back to back, and the correction assumes one request per ⌈1/rate⌉ ms (1 ms) per
 * connection, so it adds synthetic samples to every response slower than 1 ms: it inflates
 * the tail of the constant server too. The uncorrected reading is the response time of the
 * requests actually sent. Compare each row with the constant server's row of the same kind.
 */
import { rm } from "node:fs/promises";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import {
  captureSpec,
  type LoadResult,
  load,
  rssMb,
  type ServerProcess,
  sleep,
  startConstantServer,
  startOrchardServe,
  trainedStateDir,
} from "./serve-harness.ts";

interface Row extends LoadResult {
  server: string;
  latency: "CO-corrected" | "as sent";
  rssStartMb: number;
  rssEndMb: number;
}

async function measure(
  server: ServerProcess,
  options: { seconds: number; rate: number; connections: number },
): Promise<Row[]> {
  const pid = server.child.pid!;
  // Warm up (JIT, champion load, connection setup), then measure.
  await load(server.url, { ...options, seconds: 2 });
  await sleep(500);
  const rows: Row[] = [];
  for (const ignoreCoordinatedOmission of [false, true]) {
    const rssStartMb = rssMb(pid);
    const result = await load(server.url, { ...options, ignoreCoordinatedOmission });
    rows.push({
      server: server.name,
      latency: ignoreCoordinatedOmission ? "as sent" : "CO-corrected",
      ...result,
      rssStartMb,
      rssEndMb: rssMb(pid),
    });
  }
  return rows;
}

function table(rows: Row[]): string {
  const f = (n: number, d = 2) => n.toFixed(d);
  const lines = [
    "server               latency        p50 ms  p99 ms  max ms    req/s  errors  non-2xx  RSS start → end MiB",
    ...rows.map(
      (r) =>
        `${r.server.padEnd(20)} ${r.latency.padEnd(13)} ${f(r.p50Ms).padStart(6)}  ${f(r.p99Ms).padStart(6)}  ${f(r.maxMs).padStart(6)}  ${f(r.requestsPerSecond, 0).padStart(7)}  ${String(r.errors + r.timeouts).padStart(6)}  ${String(r.non2xx).padStart(7)}  ${f(r.rssStartMb, 1)} → ${f(r.rssEndMb, 1)}`,
    ),
  ];
  return lines.join("\n");
}

/** Capture's cost: p99 (as sent) with capture on minus off, both measured in this run. */
function captureLine(rows: Row[]): string {
  const p99 = (server: string) =>
    rows.find((r) => r.server === server && r.latency === "as sent")?.p99Ms ?? Number.NaN;
  const off = p99("orchard serve");
  const on = p99("serve + capture");
  return `capture: p99 ${on.toFixed(2)} ms on vs ${off.toFixed(2)} ms off (as sent): ${(on - off).toFixed(2)} ms added, ratio ${(on / off).toFixed(2)}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "30" },
      rate: { type: "string", default: "1000" },
      connections: { type: "string", default: "10" },
      json: { type: "boolean", default: false },
    },
  });
  const options = {
    seconds: Number(values.seconds),
    rate: Number(values.rate),
    connections: Number(values.connections),
  };
  process.stderr.write("bench:serve: training the penguins champion…\n");
  const stateDir = await trainedStateDir();
  const rows: Row[] = [];
  try {
    const withCapture = captureSpec(stateDir);
    for (const start of [
      () => startOrchardServe(stateDir),
      () => startOrchardServe(stateDir, withCapture, "serve + capture"),
      startConstantServer,
    ]) {
      const server = await start();
      try {
        process.stderr.write(
          `bench:serve: ${server.name}, 2 × ${options.seconds} s at ${options.rate} req/s…\n`,
        );
        rows.push(...(await measure(server, options)));
      } finally {
        const code = await server.stop();
        if (code !== 0) process.stderr.write(`bench:serve: ${server.name} exited ${code}\n`);
      }
    }
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ...options, cpus: cpus().length, rows })}\n`);
    return;
  }
  process.stdout.write(
    `${options.seconds} s at ${options.rate} req/s over ${options.connections} connections, single-row bodies, loopback, ${cpus().length} cores (${cpus()[0]?.model ?? "?"})\n${table(rows)}\n${captureLine(rows)}\n`,
  );
}

await main();
