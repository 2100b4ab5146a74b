/**
 * The container's entry command, exercised without Docker: the Dockerfile's ENTRYPOINT + CMD
 * are what the Deployment runs (same arguments, user and port), and that command, started
 * from the repository with the ConfigMap's variables (storage pointed at local S3 and
 * DynamoDB, as IRSA would point it at AWS) and the spec where the ConfigMap mounts it,
 * serves /health and /predict, writes EMF lines, and exits 0 on SIGTERM.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
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

let services: TestServices;
let dir: string;
let configMap: Record<string, string>;
let child: ChildProcess | undefined;

beforeAll(async () => {
  const run = await runStack("staging", { config: { "orchard:serving": JSON.stringify(SERVING) } });
  configMap = run.resources.find((r) => r.inputs.kind === "ConfigMap")!.inputs.data;
  services = await startTestServices();
  dir = await mkdtemp(path.join(tmpdir(), "orchard-entry-"));
  await promoteBundle(services.stores, await trainBundle(), { pipeline: "penguins" });
}, 60_000);

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
    child = spawn(process.execPath, [...entry, ...args], { cwd: PROJECT_ROOT, env });
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
