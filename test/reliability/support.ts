/**
 * Running `orchard` for the reliability suites: as a spawned process of bin/orchard.js (what a
 * user runs), or in-process through the `run` command's own `main(argv)` with stdout and stderr
 * captured (the same code path minus process start-up, for the bulk of a corpus).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { vi } from "vitest";
import { enforcedChildEnv } from "../support/iam-enforcement.ts";

export const REPO = fileURLToPath(new URL("../..", import.meta.url));
export const BIN = join(REPO, "bin", "orchard.js");
export const BAD = join(REPO, "test", "fixtures", "bad");

export interface CliResult {
  code: number | null;
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Spawned {
  child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  done: Promise<CliResult>;
}

/** Starts `orchard <args>`; `done` settles when it exits. */
export function spawnOrchard(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Spawned {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO,
    // Under the IAM-enforced project the child authorizes its storage calls too.
    env: { ...process.env, NO_COLOR: "1", ...enforcedChildEnv(), ...options.env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, stderr: () => stderr, done };
}

export const orchard = (args: string[], options?: Parameters<typeof spawnOrchard>[1]) =>
  spawnOrchard(args, options).done;

const COMMANDS = {
  run: () => import("../../cli/run.ts"),
  models: () => import("../../cli/models.ts"),
};

/** `orchard <command> <argv>` in this process, with its output captured. */
export async function inProcess(
  command: keyof typeof COMMANDS,
  argv: string[],
): Promise<CliResult> {
  const { main } = await COMMANDS[command]();
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** stderr without progress lines ("orchard: <State> …"). */
export function errorText(stderr: string): string {
  return stderr
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("orchard: "))
    .join("\n");
}

/** SHA-256 of every file under `dir`, by relative path. */
export async function hashTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) await walk(path);
      else {
        out[relative(dir, path)] = createHash("sha256")
          .update(await readFile(path))
          .digest("hex");
      }
    }
  };
  await walk(dir);
  return out;
}
