/**
 * `npx tsx bench/features-serve.ts [--seconds 30 --rate 500 --connections 10 --json]`:
 * `orchard serve` with online lookup (the stocks example's stock-direction model: each
 * request carries only `{"symbol": …}` and the six stock_prices features come from the online
 * store), with the default 1 s reuse of looked-up rows and without it (one BatchGetItem to
 * the embedded DynamoDB per request), against `orchard serve`
 * of the penguins model (rows carry every feature: no lookup) and a node:http server that
 * answers a constant, measured in the same run at the same rate. Target: p99 ≤ 10 ms at
 * 500 requests/s through `orchard serve` with lookup, 0 errors.
 *
 * Locally `orchard serve --state-dir` runs the embedded S3 and DynamoDB inside the serving
 * process, so every store read (a renewal of a reused row included) holds the server's event
 * loop for the emulator's own work. Deployed, the store is a service apart. The "stores apart"
 * row runs the same server against the embedded stores started in this process instead (the
 * ORCHARD_* storage variables, as a deployed server has), and the last line gives both.
 *
 * The example's prices end in 2010; the bench shifts every date so the last month is this
 * month, so lookups find fresh rows (not expired ones) as a live deployment would.
 *
 * Each server is warmed up for 2 s, then loaded at the fixed rate by autocannon in a process
 * of its own (serve-harness.ts). The last line is the one the README quotes: the lookup
 * servers' p50/p99 and the constant server's from the same run. `ORCHARD_BENCH_PROFILE=DIR`
 * writes each server's CPU profile to DIR.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { materializeLocal } from "../cli/features.ts";
import { runLocally } from "../cli/local/run-pipeline.ts";
import { startLocalServices } from "../cli/local/servers.ts";
import {
  type LoadResult,
  load,
  REPO,
  type ServerProcess,
  sleep,
  startConstantServer,
  startOrchardServe,
  startOrchardServeOn,
  trainedStateDir,
} from "./serve-harness.ts";

const DAY = 86_400_000;

/** The stocks example in a temp directory, every date moved forward by whole days to now. */
function freshExample(): string {
  const dir = mkdtempSync(join(tmpdir(), "orchard-bench-features-"));
  cpSync(join(REPO, "examples/stocks"), dir, { recursive: true });
  const last = Date.parse("2010-03-01");
  const shift = Math.floor((Date.now() - last) / DAY) * DAY - DAY;
  for (const file of ["prices.csv", "direction.csv", "next-return.csv"]) {
    const text = readFileSync(join(dir, file), "utf8");
    writeFileSync(
      join(dir, file),
      text.replace(/\b(\d{4}-\d{2}-\d{2})\b/g, (d) =>
        new Date(Date.parse(d) + shift).toISOString().slice(0, 10),
      ),
    );
  }
  return dir;
}

interface Row extends LoadResult {
  server: string;
}

async function measure(
  server: ServerProcess,
  body: string | undefined,
  options: { seconds: number; rate: number; connections: number },
): Promise<Row> {
  await load(server.url, { ...options, seconds: 2, ...(body ? { body } : {}) });
  await sleep(500);
  const result = await load(server.url, {
    ...options,
    ignoreCoordinatedOmission: true,
    ...(body ? { body } : {}),
  });
  return { server: server.name, ...result };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "30" },
      rate: { type: "string", default: "500" },
      connections: { type: "string", default: "10" },
      json: { type: "boolean", default: false },
    },
  });
  const options = {
    seconds: Number(values.seconds),
    rate: Number(values.rate),
    connections: Number(values.connections),
  };
  process.stderr.write("bench:features-serve: materializing stock_prices, training models…\n");
  const dir = freshExample();
  const stocksState = join(dir, ".orchard");
  await materializeLocal(join(dir, "features"), "stock_prices", stocksState);
  const run = await runLocally({ specPath: join(dir, "direction.yaml"), stateDir: stocksState });
  if (!run.championAfter) throw new Error("bench: the stock-direction run promoted no champion");
  const penguinsState = await trainedStateDir();
  const lookupBody = JSON.stringify({ rows: [{ symbol: "AAPL" }] });
  const fullBody = JSON.stringify({
    rows: [
      {
        symbol: "AAPL",
        price: 223.02,
        price_mean_3m: 200.1,
        price_mean_12m: 150.3,
        price_min_6m: 90.2,
        price_max_6m: 223.02,
        months_1y: 12,
      },
    ],
  });
  const rows: Row[] = [];
  try {
    const direction = join(dir, "direction.yaml");
    const uncached = async () => {
      // The child inherits the environment: no reuse of looked-up rows, one read per request.
      process.env.ORCHARD_FEATURE_CACHE_SECONDS = "0";
      try {
        return await startOrchardServe(stocksState, direction, "lookup, no cache");
      } finally {
        delete process.env.ORCHARD_FEATURE_CACHE_SECONDS;
      }
    };
    // The embedded S3 and DynamoDB in this process, not the server's: as in the cloud, a read
    // of the online store is then a network call that does not hold the server's event loop.
    const storesApart = async () => {
      const services = await startLocalServices({ stateDir: stocksState });
      const server = await startOrchardServeOn(services.env, direction, "lookup, stores apart");
      return {
        ...server,
        stop: async () => {
          const code = await server.stop();
          await services.stop();
          return code;
        },
      };
    };
    const servers: [() => Promise<ServerProcess>, string | undefined][] = [
      [() => startOrchardServe(stocksState, direction, "lookup, 1 s cache"), lookupBody],
      [storesApart, lookupBody],
      [uncached, lookupBody],
      // The same model and server, the row carrying every feature: lookup skipped.
      [() => startOrchardServe(stocksState, direction, "row has features"), fullBody],
      [() => startOrchardServe(penguinsState, undefined, "serve, no lookup"), undefined],
      [startConstantServer, undefined],
    ];
    for (const [start, body] of servers) {
      const server = await start();
      try {
        process.stderr.write(
          `bench:features-serve: ${server.name}, ${options.seconds} s at ${options.rate} req/s…\n`,
        );
        rows.push(await measure(server, body, options));
      } finally {
        await server.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(penguinsState, { recursive: true, force: true });
  }
  const summary = summaryLine(rows, options);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ...options, rows, summary })}\n`);
    return;
  }
  const base = rows.find((r) => r.server === "serve, no lookup");
  const f = (n: number) => n.toFixed(2);
  process.stdout.write(
    `${options.seconds} s at ${options.rate} req/s, ${options.connections} connections, latency as sent\n` +
      "server             p50 ms  p99 ms  max ms   req/s  errors  non-2xx  p99 / no-lookup p99\n" +
      rows
        .map(
          (r) =>
            `${r.server.padEnd(18)} ${f(r.p50Ms).padStart(6)}  ${f(r.p99Ms).padStart(6)}  ${f(r.maxMs).padStart(6)}  ${r.requestsPerSecond.toFixed(0).padStart(6)}  ${String(r.errors + r.timeouts).padStart(6)}  ${String(r.non2xx).padStart(7)}  ${base ? (r.p99Ms / base.p99Ms).toFixed(2) : "-"}`,
        )
        .join("\n") +
      `\n${summary}\n`,
  );
}

/** The README's line: the target server's figures and the constant server's, same run. */
function summaryLine(rows: Row[], options: { seconds: number; rate: number }): string {
  const embedded = rows.find((r) => r.server === "lookup, 1 s cache");
  const apart = rows.find((r) => r.server === "lookup, stores apart");
  const constant = rows.find((r) => r.server === "node:http constant");
  if (!embedded || !apart || !constant) return "features-serve: incomplete run";
  const f = (n: number) => n.toFixed(1);
  const failures = (r: Row) => r.errors + r.timeouts + r.non2xx;
  const verdict = (r: Row) => (r.p99Ms <= 10 && failures(r) === 0 ? "met" : "not met");
  const figures = (r: Row) =>
    `p50 ${f(r.p50Ms)} ms, p99 ${f(r.p99Ms)} ms, ${r.requestsPerSecond.toFixed(0)} req/s served, ${failures(r)} errors (target p99 ≤ 10 ms: ${verdict(r)})`;
  return `features-serve: orchard serve with online lookup at ${options.rate} req/s for ${options.seconds} s: with its embedded stores ${figures(embedded)}; with the stores in a process of their own ${figures(apart)}; node:http constant in the same run p50 ${f(constant.p50Ms)} ms, p99 ${f(constant.p99Ms)} ms`;
}

await main();
