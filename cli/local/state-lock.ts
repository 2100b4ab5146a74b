/**
 * One orchard process at a time per state directory. Two `orchard run`s sharing the embedded
 * S3 and DynamoDB files would corrupt them (and dynalite crashes on a locked LevelDB), so every
 * command that opens the local stores takes this lock first; the second one stops with a
 * message naming the holder.
 *
 * The lock is an operating-system file lock (LevelDB's LOCK file under `<stateDir>/lock/`,
 * through the `level` package dynalite already uses), not a pid file: the kernel releases it
 * when its process exits in any way, SIGKILL included, so a lock is never stale and there is
 * nothing to clean up. Beside it, `<stateDir>/lock.json` says who holds it (pid, command, start
 * time, host) for the message; a killed holder leaves that file behind, and the next process to
 * take the lock simply overwrites it.
 */

import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { hostname } from "node:os";
import { join } from "node:path";
import { OrchardError } from "../../pipeline/errors.ts";

/** Another process holds the state directory. The message names it and what to do. */
export class StateDirLockedError extends OrchardError {}

export interface LockHolder {
  pid: number;
  command: string;
  startedAt: string;
  host: string;
}

export interface StateLock {
  holder: LockHolder;
  /** Releases the lock; safe to call twice. */
  release(): Promise<void>;
}

interface LevelDb {
  open(): Promise<void>;
  close(): Promise<void>;
}
type LevelConstructor = new (path: string) => LevelDb;

const require = createRequire(import.meta.url);

function levelConstructor(): LevelConstructor {
  const fromDynalite = createRequire(require.resolve("dynalite"));
  return (fromDynalite("level") as { Level: LevelConstructor }).Level;
}

export const LOCK_DIR = "lock";
export const HOLDER_FILE = "lock.json";

/** This process, as the holder file records it. */
export function currentHolder(command = process.argv.slice(2).join(" ")): LockHolder {
  return {
    pid: process.pid,
    command: `orchard ${command}`.trim(),
    startedAt: new Date().toISOString(),
    host: hostname(),
  };
}

async function readHolder(stateDir: string): Promise<LockHolder | null> {
  try {
    const parsed = JSON.parse(await readFile(join(stateDir, HOLDER_FILE), "utf8"));
    return typeof parsed?.pid === "number" ? (parsed as LockHolder) : null;
  } catch {
    return null;
  }
}

/**
 * The holder writes its record just after taking the lock: a process that lost a race by a few
 * milliseconds waits briefly for it, so the message can name the pid.
 */
async function awaitHolder(stateDir: string): Promise<LockHolder | null> {
  let holder: LockHolder | null = null;
  for (let i = 0; i < 25; i++) {
    holder = await readHolder(stateDir);
    if (holder && (holder.host !== hostname() || isAlive(holder.pid))) return holder;
    await new Promise((r) => setTimeout(r, 20));
  }
  return holder;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function lockedMessage(stateDir: string, holder: LockHolder | null): string {
  const what = `The state directory ${stateDir} is in use by another orchard process`;
  const todo = "Wait for it to finish, or use another --state-dir.";
  if (!holder) return `${what}. ${todo}`;
  const who = `pid ${holder.pid}, "${holder.command}", started ${holder.startedAt}`;
  if (holder.host !== hostname()) return `${what} (${who} on host ${holder.host}). ${todo}`;
  if (!isAlive(holder.pid)) {
    // The recorded holder is gone but the OS lock is held: a process that started a moment
    // ago and has not written its record yet.
    return `${what} (it is starting; the last recorded holder, pid ${holder.pid}, has exited). ${todo}`;
  }
  return `${what} (${who}). Wait for it to finish or stop it (kill ${holder.pid}), or use another --state-dir.`;
}

/**
 * Takes the state directory's lock, or throws StateDirLockedError naming the holder. Creates
 * the directory when missing.
 */
export async function lockStateDir(
  stateDir: string,
  holder: LockHolder = currentHolder(),
): Promise<StateLock> {
  await mkdir(stateDir, { recursive: true });
  const Level = levelConstructor();
  const db = new Level(join(stateDir, LOCK_DIR));
  try {
    await db.open();
  } catch (err) {
    const locked = (err as { cause?: { code?: string } }).cause?.code === "LEVEL_LOCKED";
    if (locked) {
      throw new StateDirLockedError(
        lockedMessage(stateDir, await awaitHolder(stateDir)),
        { file: stateDir },
        { cause: err },
      );
    }
    throw new StateDirLockedError(
      `Could not lock the state directory ${stateDir}: ${(err as Error).message}. Check that it is writable, or use another --state-dir.`,
      { file: stateDir },
      { cause: err },
    );
  }
  // Written after the lock is ours; write-then-rename so a reader never sees half a record.
  const file = join(stateDir, HOLDER_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(holder)}\n`);
  await rename(temp, file);

  let released: Promise<void> | undefined;
  return {
    holder,
    release() {
      released ??= (async () => {
        const recorded = await readHolder(stateDir);
        if (recorded?.pid === holder.pid && recorded.startedAt === holder.startedAt) {
          await rm(file, { force: true });
        }
        await db.close();
      })();
      return released;
    },
  };
}
