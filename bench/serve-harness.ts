/**
 * What bench:serve and the soak share: a trained champion in a temp state directory, server
 * child processes (`orchard serve`, and a plain node:http server answering a constant as the
 * ceiling), their RSS and open file descriptors read from /proc, and an autocannon run at a
 * fixed request rate with single-row bodies. The load generator runs in a process of its own
 * (`runLoadChild`): in the bench's process it shared an event loop with the harness, and its
 * own pauses showed up as server latency.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runLocally } from "../cli/local/run-pipeline.ts";

export const REPO = fileURLToPath(new URL("..", import.meta.url));
export const SPEC = join(REPO, "examples/penguins/pipeline.yaml");
export const ROW = {
  island: "Biscoe",
  bill_length_mm: 47.5,
  bill_depth_mm: 15,
  flipper_length_mm: 218,
  body_mass_g: 4950,
  sex: "MALE",
};
export const BODY = JSON.stringify({ rows: [ROW] });

/** Runs the penguins pipeline once into a fresh state directory (about 5 s). */
export async function trainedStateDir(): Promise<string> {
  const stateDir = await mkdtemp(join(tmpdir(), "orchard-bench-serve-"));
  const run = await runLocally({ specPath: SPEC, stateDir });
  if (!run.championAfter) throw new Error("bench: the penguins run promoted no champion");
  return stateDir;
}

export interface ServerProcess {
  name: string;
  url: string;
  child: ChildProcess;
  stop(): Promise<number | null>;
}

const CONSTANT_SERVER = `
const http = require("node:http");
const body = JSON.stringify({ modelVersion: "v1", predictions: [{ prediction: "Gentoo" }] });
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, "127.0.0.1", () => process.stderr.write("constant on http://127.0.0.1:" + server.address().port + "\\n"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;

/**
 * Node flags for the server children: `ORCHARD_BENCH_PROFILE=DIR` writes a V8 CPU profile of
 * each server to DIR when it stops (open it in Chrome DevTools or speedscope).
 */
function serverFlags(): string[] {
  const dir = process.env.ORCHARD_BENCH_PROFILE;
  return dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [];
}

/** Starts a server child and waits for the "on http://…" line it prints. */
function startChild(
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...serverFlags(), ...args], {
    cwd: REPO,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ORCHARD_LOG_LEVEL: "silent", ...env },
  });
  return new Promise((resolve, reject) => {
    let err = "";
    const onData = (d: Buffer) => {
      err += d.toString();
      const m = /on (http:\/\/\S+)/.exec(err);
      if (!m) return;
      child.stderr?.off("data", onData);
      child.stderr?.resume();
      resolve({
        name,
        url: m[1],
        child,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done(child.exitCode);
            child.once("exit", (code) => done(code));
            child.kill("SIGTERM");
          }),
      });
    };
    child.stderr?.on("data", onData);
    child.once("exit", (code) =>
      reject(new Error(`${name} exited with ${code} before listening:\n${err}`)),
    );
  });
}

/**
 * The penguins spec with prediction capture on (`monitor.capture`, every request sampled),
 * written next to the state directory: the same pipeline name, so it serves the same champion.
 */
export function captureSpec(stateDir: string): string {
  const text = readFileSync(SPEC, "utf8").replace(
    /uri: penguins\.csv/,
    `uri: ${join(REPO, "examples/penguins/penguins.csv")}`,
  );
  const path = join(stateDir, "penguins-capture.yaml");
  writeFileSync(path, `${text}\nmonitor:\n  capture: { sampleRate: 1 }\n`);
  return path;
}

export function startOrchardServe(
  stateDir: string,
  spec = SPEC,
  name = "orchard serve",
): Promise<ServerProcess> {
  return startChild(name, [
    join(REPO, "bin/orchard.js"),
    "serve",
    spec,
    "--port",
    "0",
    "--state-dir",
    stateDir,
  ]);
}

/**
 * `orchard serve` against storage that runs elsewhere, as in the cloud: `env` holds the
 * ORCHARD_* storage variables and endpoints (no --state-dir, so the server starts no embedded
 * S3 or DynamoDB of its own).
 */
export function startOrchardServeOn(
  env: Record<string, string>,
  spec: string,
  name: string,
): Promise<ServerProcess> {
  return startChild(name, [join(REPO, "bin/orchard.js"), "serve", spec, "--port", "0"], env);
}

export function startConstantServer(): Promise<ServerProcess> {
  return startChild("node:http constant", ["-e", CONSTANT_SERVER]);
}

/** Resident set size of a process, MiB (Linux /proc). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Open file descriptors (sockets, files, pipes) of a process (Linux /proc). */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  non2xx: number;
  timeouts: number;
}

export interface LoadOptions {
  seconds: number;
  rate: number;
  connections?: number;
  /**
   * autocannon corrects for coordinated omission by default, assuming requests every
   * ⌈1/rate⌉ ms per connection (1 ms); its rate limiter releases each connection's
   * per-second quota in a burst, so the correction inflates the tail of any server. Both
   * readings are printed.
   */
  ignoreCoordinatedOmission?: boolean;
  /** Default: one penguins row. */
  body?: string;
}

/** The load generator's program: autocannon with the options in argv[1], its summary out. */
const LOAD_CHILD = `
const autocannon = require("autocannon");
const options = JSON.parse(process.argv[1]);
autocannon(options).then(
  (r) => process.stdout.write(JSON.stringify({
    requests: r.requests.total,
    requestsPerSecond: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    errors: r.errors,
    non2xx: r.non2xx,
    timeouts: r.timeouts,
  })),
  (err) => { process.stderr.write(String(err && err.stack || err)); process.exit(1); },
);
`;

/** Runs autocannon in a child process (its own event loop and core time) and returns its summary. */
function runLoadChild(options: Record<string, unknown>): Promise<LoadResult> {
  const child = spawn(process.execPath, ["-e", LOAD_CHILD, JSON.stringify(options)], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => {
      if (code === 0) resolve(JSON.parse(out) as LoadResult);
      else reject(new Error(`the load generator exited with ${code}:\n${err}`));
    });
  });
}

export async function load(url: string, options: LoadOptions): Promise<LoadResult> {
  return runLoadChild({
    url: `${url}/predict`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: options.body ?? BODY,
    duration: options.seconds,
    overallRate: options.rate,
    connections: options.connections ?? 10,
    ignoreCoordinatedOmission: options.ignoreCoordinatedOmission ?? false,
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ProcessFigures {
  rssMb: number;
  fds: number;
}

export interface SoakResult {
  start: ProcessFigures;
  loaded: ProcessFigures;
  end: ProcessFigures;
  load: LoadResult;
}

/**
 * Load for `seconds`, then idle for `idleMs` (past the server's keep-alive timeout, so client
 * sockets close): RSS and open descriptors before the load, right after it, and after the idle.
 */
export async function soak(
  url: string,
  pid: number,
  options: LoadOptions & { idleMs: number },
): Promise<SoakResult> {
  const figures = (): ProcessFigures => ({ rssMb: rssMb(pid), fds: openFds(pid) });
  await load(url, { ...options, seconds: 1 });
  await sleep(options.idleMs);
  const start = figures();
  const result = await load(url, { ...options, ignoreCoordinatedOmission: true });
  const loaded = figures();
  await sleep(options.idleMs);
  return { start, loaded, end: figures(), load: result };
}
