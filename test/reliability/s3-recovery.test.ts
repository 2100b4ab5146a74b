/**
 * Crash recovery of the local S3 files: after a session that did not close, objects written
 * during it whose files are incomplete are removed; complete ones and older ones stay.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openS3Session } from "../../cli/local/s3-recovery.ts";

let state: string;
let s3: string;

beforeEach(async () => {
  state = await mkdtemp(join(tmpdir(), "orchard-s3rec-"));
  s3 = join(state, "s3");
  await mkdir(join(s3, "bucket", "p"), { recursive: true });
});
afterEach(async () => {
  await rm(state, { recursive: true, force: true });
});

/** An object as s3rver stores it; `damage` cuts one of its files short. */
async function object(name: string, damage?: "bytes" | "metadata" | "md5"): Promise<void> {
  const base = join(s3, "bucket", "p", name);
  const bytes = Buffer.from(`content of ${name}`);
  const md5 = createHash("md5").update(bytes).digest("hex");
  await writeFile(`${base}._S3rver_object`, damage === "bytes" ? bytes.subarray(0, 3) : bytes);
  if (damage !== "md5") await writeFile(`${base}._S3rver_object.md5`, md5);
  await writeFile(`${base}._S3rver_metadata.json`, damage === "metadata" ? '{"content-ty' : "{}");
}

const names = async () =>
  (await readdir(join(s3, "bucket", "p"))).filter((f) => f.endsWith("_object")).sort();

describe("local S3 crash recovery", () => {
  it("after a clean close, nothing is checked or removed", async () => {
    const first = await openS3Session(state, s3);
    await first.close();
    await object("a", "metadata");
    const second = await openS3Session(state, s3);
    expect(second.removed).toEqual([]);
    expect(await names()).toEqual(["a._S3rver_object"]);
    await second.close();
  });

  it.each(["bytes", "metadata", "md5"] as const)(
    "after a crash, an object with cut %s written in that session is removed; complete ones stay",
    async (damage) => {
      await openS3Session(state, s3); // never closed: the process was killed
      await object("good");
      await object("cut", damage);
      const next = await openS3Session(state, s3);
      expect(next.removed.map((p) => p.split("/").pop())).toEqual(["cut._S3rver_object"]);
      expect(await names()).toEqual(["good._S3rver_object"]);
      await next.close();
    },
  );

  it("objects from before the crashed session are not checked", async () => {
    await object("old", "metadata");
    const past = new Date(Date.now() - 60_000);
    for (const f of await readdir(join(s3, "bucket", "p"))) {
      await utimes(join(s3, "bucket", "p", f), past, past);
    }
    await openS3Session(state, s3);
    const next = await openS3Session(state, s3);
    expect(next.removed).toEqual([]);
    await next.close();
  });
});
