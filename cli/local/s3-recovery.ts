/**
 * Crash recovery for the local S3 (s3rver) files. s3rver writes an object as three files — the
 * bytes, `.md5`, then `metadata.json` — with no atomic rename, so a process killed in the
 * middle of a write (a SIGKILL during training) can leave a truncated object or metadata file.
 * s3rver then answers 500 for that key on every request, and the next run fails on it. Real S3
 * writes are atomic; this puts the local store back in the same position: a write that did not
 * complete did not happen.
 *
 * `openS3Session` marks the state directory as in use; `close` removes the mark. When a session
 * starts and finds the mark, the previous one did not stop cleanly: every object written since
 * that session began is checked (metadata parses, bytes match their MD5) and an incomplete one is
 * removed, so the rerun writes it again (content-addressed artifacts) or recomputes it (cache
 * entries, reports).
 */
import { createHash } from "node:crypto";
import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

const OBJECT = "._S3rver_object";
const MARK = "s3-session";
/** File times are compared with this slack (coarse file-system clocks). */
const SLACK_MS = 2000;

export interface S3Session {
  /** Objects removed because their write had not completed. */
  removed: string[];
  close(): Promise<void>;
}

async function objectFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await objectFiles(path)));
    else if (entry.name.endsWith(OBJECT)) out.push(path);
  }
  return out;
}

async function mtime(path: string): Promise<number> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
}

/** True when the object's three files are complete and agree. */
async function complete(objectPath: string): Promise<boolean> {
  const base = objectPath.slice(0, -OBJECT.length);
  try {
    const [bytes, md5, metadata] = await Promise.all([
      readFile(objectPath),
      readFile(`${objectPath}.md5`, "utf8"),
      readFile(`${base}._S3rver_metadata.json`, "utf8"),
    ]);
    JSON.parse(metadata);
    return createHash("md5").update(bytes).digest("hex") === md5.trim();
  } catch {
    return false;
  }
}

async function removeObject(objectPath: string): Promise<void> {
  const base = objectPath.slice(0, -OBJECT.length);
  await Promise.all(
    [objectPath, `${objectPath}.md5`, `${base}._S3rver_metadata.json`].map((p) =>
      rm(p, { force: true }),
    ),
  );
}

/**
 * Checks the objects the previous session wrote if it did not close, then marks the state
 * directory as in use. `s3Dir` is s3rver's directory, `stateDir` where the mark is kept.
 */
export async function openS3Session(stateDir: string, s3Dir: string): Promise<S3Session> {
  const mark = join(stateDir, MARK);
  const since = await mtime(mark);
  const removed: string[] = [];
  if (since > Number.NEGATIVE_INFINITY) {
    for (const object of await objectFiles(s3Dir)) {
      const base = object.slice(0, -OBJECT.length);
      const touched = Math.max(
        await mtime(object),
        await mtime(`${object}.md5`),
        await mtime(`${base}._S3rver_metadata.json`),
      );
      if (touched >= since - SLACK_MS && !(await complete(object))) {
        await removeObject(object);
        removed.push(object);
      }
    }
  }
  await writeFile(mark, `${JSON.stringify({ pid: process.pid, at: new Date().toISOString() })}\n`);
  return {
    removed,
    close: () => rm(mark, { force: true }),
  };
}
