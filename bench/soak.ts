/**
 * `npm run soak [-- --seconds 60 --rate 1000]`: `orchard serve` (the penguins champion, trained
 * first into a temp state directory) under a steady load, then idle past its keep-alive
 * timeout. Prints the server's RSS and open file descriptors before, right after and after
 * the idle, and the load's errors. Exit 1 when a request failed, descriptors did not return to
 * within 2 of the start, or RSS ended more than 32 MiB above the start. Not part of npm test;
 * test/serving/soak.test.ts runs a 5 s version in-process.
 */
import { rm } from "node:fs/promises";
import { parseArgs } from "node:util";
import { soak, startOrchardServe, trainedStateDir } from "./serve-harness.ts";

export const SOAK_LIMITS = { extraFds: 2, extraRssMb: 32 };

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    rate: { type: "string", default: "1000" },
    connections: { type: "string", default: "10" },
  },
});
const seconds = Number(values.seconds);
const rate = Number(values.rate);
process.stderr.write("soak: training the penguins champion…\n");
const stateDir = await trainedStateDir();
const server = await startOrchardServe(stateDir);
let failed = false;
try {
  process.stderr.write(`soak: ${seconds} s at ${rate} req/s against ${server.url}…\n`);
  const r = await soak(server.url, server.child.pid!, {
    seconds,
    rate,
    connections: Number(values.connections),
    idleMs: 6000,
  });
  const f = (n: number) => n.toFixed(1);
  const errors = r.load.errors + r.load.timeouts + r.load.non2xx;
  process.stdout.write(
    [
      `orchard serve soak: ${seconds} s at ${rate} req/s, ${r.load.requests} requests, ${errors} errors, p50 ${r.load.p50Ms} ms, p99 ${r.load.p99Ms} ms, max ${r.load.maxMs} ms`,
      `                 before   after load   after ${6} s idle`,
      `RSS MiB        ${f(r.start.rssMb).padStart(8)}   ${f(r.loaded.rssMb).padStart(10)}   ${f(r.end.rssMb).padStart(10)}`,
      `open fds       ${String(r.start.fds).padStart(8)}   ${String(r.loaded.fds).padStart(10)}   ${String(r.end.fds).padStart(10)}`,
      "",
    ].join("\n"),
  );
  failed =
    errors > 0 ||
    r.end.fds > r.start.fds + SOAK_LIMITS.extraFds ||
    r.end.rssMb > r.start.rssMb + SOAK_LIMITS.extraRssMb;
} finally {
  const code = await server.stop();
  if (code !== 0) {
    process.stderr.write(`soak: orchard serve exited ${code} on SIGTERM\n`);
    failed = true;
  }
  await rm(stateDir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
