/**
 * The container's entry command, exercised without Docker: the Dockerfile's ENTRYPOINT + CMD
 * are what the Deployment runs (same arguments, user and port), and that command, started
 * in a directory laid out as the image's final stage is (its COPY lines: lib/ compiled by the
 * build stage's `npm run build`, bin/, package.json, and only the production dependencies,
 * so no tsx and no sources), with the ConfigMap's variables (storage pointed at local S3 and
 * DynamoDB, as IRSA would point it at AWS) and the spec where the ConfigMap mounts it, serves
 * /health and /predict, writes EMF lines, and exits 0 on SIGTERM.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../infra/config.ts";
import {
  RUN_AS_USER,
  SERVE_ARGS,
  SERVE_PORT,
  SPEC_DIR,
  SPEC_FILE,
} from "../../infra/kubernetes.ts";
import { promoteBundle, trainBundle } from "../serving/fixtures.ts";
import { startTestServices, type TestServices } from "../support/local-services.ts";
import { runStack } from "./harness.ts";
import { SERVING } from "./kubernetes-fixture.ts";

const DOCKERFILE = readFileSync(path.join(PROJECT_ROOT, "Dockerfile"), "utf8");

/** The last stage's instruction arguments, by instruction. */
function instruction(name: string): string {
  const stages = DOCKERFILE.split(/^FROM /m);
  const lines = stages
    .at(-1)!
    .split("\n")
    .filter((l) => l.startsWith(`${name} `));
  expect(lines, `one ${name} in the final stage`).toHaveLength(1);
  return lines[0].slice(name.length + 1).trim();
}

interface Copy {
  from?: string;
  source: string;
  destination: string;
}

/** The final stage's COPY instructions. */
function finalCopies(): Copy[] {
  const stage = DOCKERFILE.split(/^FROM /m).at(-1)!;
  return stage
    .split("\n")
    .filter((l) => l.startsWith("COPY "))
    .map((l) => {
      const words = l.slice(5).trim().split(/\s+/);
      const from = words[0].startsWith("--from=") ? words.shift()!.slice(7) : undefined;
      expect(words, l).toHaveLength(2);
      return { from, source: words[0], destination: words[1] };
    });
}

/** What `npm ci --omit=dev` installs: the lockfile's top-level packages not marked dev. */
async function linkProductionDependencies(into: string): Promise<void> {
  const lock = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package-lock.json"), "utf8"));
  for (const [key, entry] of Object.entries<{ dev?: boolean }>(lock.packages)) {
    if (!key.startsWith("node_modules/") || key.indexOf("/node_modules/", 1) > 0) continue;
    if (entry.dev) continue;
    const name = key.slice("node_modules/".length);
    await mkdir(path.dirname(path.join(into, name)), { recursive: true });
    await symlink(path.join(PROJECT_ROOT, key), path.join(into, name), "dir");
  }
}

/** Lays out the image's /app under `root` from the Dockerfile's final stage. */
async function assembleImage(root: string): Promise<void> {
  for (const copy of finalCopies()) {
    // Docker's rule: a destination ending in / is a directory the source goes into.
    const to = copy.destination.endsWith("/")
      ? path.join(root, copy.destination, path.basename(copy.source))
      : path.join(root, copy.destination);
    if (copy.from === "build") {
      expect(copy.source).toBe("/app/lib");
      // The build stage's `npm run build`, into this directory.
      execFileSync(process.execPath, ["--import", "tsx", "scripts/build-package.ts", "--out", to], {
        cwd: PROJECT_ROOT,
        stdio: "pipe",
      });
    } else if (copy.from === "deps") {
      expect(copy.source).toBe("/app/node_modules");
      await linkProductionDependencies(to);
    } else {
      expect(copy.from).toBeUndefined();
      await cp(path.join(PROJECT_ROOT, copy.source), to, { recursive: true });
    }
  }
}

let services: TestServices;
let dir: string;
let app: string;
let configMap: Record<string, string>;
let child: ChildProcess | undefined;

beforeAll(async () => {
  const run = await runStack("staging", { config: { "orchard:serving": JSON.stringify(SERVING) } });
  configMap = run.resources.find((r) => r.inputs.kind === "ConfigMap")!.inputs.data;
  services = await startTestServices();
  dir = await mkdtemp(path.join(tmpdir(), "orchard-entry-"));
  app = path.join(dir, "app");
  await assembleImage(app);
  await promoteBundle(services.stores, await trainBundle(), { pipeline: "penguins" });
}, 600_000);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  await services.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the image's entry command", () => {
  it("is what the Deployment runs: node bin/orchard.js + the Deployment's args, uid 1000, port 8080", () => {
    expect(JSON.parse(instruction("ENTRYPOINT"))).toEqual(["node", "bin/orchard.js"]);
    expect(JSON.parse(instruction("CMD"))).toEqual(SERVE_ARGS);
    expect(instruction("USER")).toBe(`${RUN_AS_USER}:${RUN_AS_USER}`);
    expect(instruction("EXPOSE")).toBe(String(SERVE_PORT));
    expect(instruction("WORKDIR")).toBe("/app");
  });

  it("holds compiled JavaScript and production dependencies only: no sources, no tsx", () => {
    expect(existsSync(path.join(app, "lib", "cli", "main.js"))).toBe(true);
    expect(existsSync(path.join(app, "lib", "lambdas", "container-runner.js"))).toBe(true);
    for (const source of ["cli", "lambdas", "pipeline", "infra"]) {
      expect(existsSync(path.join(app, source)), source).toBe(false);
    }
    expect(existsSync(path.join(app, "node_modules", "esbuild"))).toBe(true);
    expect(existsSync(path.join(app, "node_modules", "tsx"))).toBe(false);
  });

  it("serves /health and /predict from the ConfigMap's settings, and exits 0 on SIGTERM", async () => {
    // The spec where the ConfigMap volume puts it, and the port the test may bind.
    const spec = path.join(dir, SPEC_FILE);
    await writeFile(spec, configMap[SPEC_FILE]);
    const args = JSON.parse(instruction("CMD")).map((a: string) =>
      a === `${SPEC_DIR}/${SPEC_FILE}` ? spec : a === String(SERVE_PORT) ? "0" : a,
    );
    const [command, ...entry] = JSON.parse(instruction("ENTRYPOINT"));
    const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: dir };
    for (const [key, value] of Object.entries(configMap)) if (key !== SPEC_FILE) env[key] = value;
    // Local storage under the ConfigMap's keys (names are local), with its endpoints.
    Object.assign(env, services.services.env, { TMPDIR: dir });
    expect(command).toBe("node");
    child = spawn(process.execPath, [...entry, ...args], { cwd: app, env });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => {
      stdout += d;
    });
    const url = await new Promise<string>((resolve, reject) => {
      child!.stderr?.on("data", (d) => {
        stderr += d;
        const m = /on (http:\/\/\S+)/.exec(stderr);
        if (m) resolve(m[1].replace("0.0.0.0", "127.0.0.1"));
      });
      child!.once("exit", (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    const health = await fetch(`${url}/health`);
    expect(await health.json()).toMatchObject({
      status: "ok",
      pipeline: "penguins",
      champion: "v1",
    });
    const res = await fetch(`${url}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rows: [{ x: 9, colour: "red" }] }),
    });
    expect(res.status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child!.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    const emf = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(emf).toContainEqual(expect.objectContaining({ Pipeline: "penguins", StatusCode: 200 }));
  }, 30_000);
});
