/** How synth turns captured inputs and handler sources into stable manifest values. */
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { Metafile } from "esbuild";
import { describe, expect, it } from "vitest";
import {
  portableSourcePath,
  reachableInputs,
  summarizeSources,
} from "../../infra/synth/code-sources.ts";
import { normalizeValue, SECRET, stableJson } from "../../infra/synth/normalize.ts";

const root = mkdtempSync(path.join(tmpdir(), "orchard-normalize-"));
const codeDir = path.join(root, "bundles");
const ctx = { root, codeDir };
const SIG = "4dabf18193072939515e22adb298388d";

describe("normalizeValue", () => {
  it.each([
    ["a Pulumi secret", { [SIG]: "1b47061264138c4ac30d75fd1eb44270", value: "hunter2" }, SECRET],
    ["a JSON document", '{"b":1,"a":[2]}', { a: [2], b: 1 }],
    ["text that only looks like JSON", "{not json", "{not json"],
    ["undefined", undefined, null],
  ])("turns %s into its manifest form", async (_, input, expected) => {
    expect(await normalizeValue(input, ctx)).toEqual(expected);
  });

  it("redacts values under names that say secret, and nothing else", async () => {
    const env = { API_TOKEN: "t", DB_PASSWORD: "p", ORCHARD_RAW_BUCKET: "raw-1" };
    expect(await normalizeValue({ variables: env }, ctx)).toEqual({
      variables: { API_TOKEN: SECRET, DB_PASSWORD: SECRET, ORCHARD_RAW_BUCKET: "raw-1" },
    });
  });

  it("names a Lambda bundle archive by its bundle and a file asset by path and content hash", async () => {
    writeFileSync(path.join(root, "data.csv"), "a,b\n");
    const value = {
      code: new pulumi.asset.FileArchive(path.join(codeDir, "ingest")),
      source: new pulumi.asset.FileAsset(path.join(root, "data.csv")),
    };
    expect(await normalizeValue(value, ctx)).toEqual({
      code: { lambdaBundle: "ingest" },
      source: {
        fileAsset: "data.csv",
        sha256: createHash("sha256").update("a,b\n").digest("hex"),
      },
    });
  });

  it("sorts keys, so the same value prints the same bytes", () => {
    expect(stableJson({ b: 1, a: { d: 2, c: 3 } })).toBe(
      '{\n  "a": {\n    "c": 3,\n    "d": 2\n  },\n  "b": 1\n}\n',
    );
  });
});

describe("handler sources", () => {
  it.each([
    ["lambdas/ingest.ts", "lambdas/ingest.ts"],
    ["../main/node_modules/yaml/dist/index.js", "node_modules/yaml/dist/index.js"],
    ["node_modules/a/node_modules/b/x.js", "node_modules/a/node_modules/b/x.js"],
  ])("names %s as %s", (input, expected) => {
    expect(portableSourcePath(input)).toBe(expected);
  });

  const metafile = {
    inputs: {
      "lambdas/a.ts": { bytes: 1, imports: [{ path: "lib/x.ts", kind: "import-statement" }] },
      "lib/x.ts": {
        bytes: 1,
        imports: [
          { path: "node_modules/dep/i.js", kind: "import-statement" },
          { path: "node:fs", kind: "import-statement", external: true },
        ],
      },
      "node_modules/dep/i.js": { bytes: 1, imports: [] },
      "lambdas/b.ts": { bytes: 1, imports: [] },
    },
    outputs: {},
  } as unknown as Metafile;

  it("follows the module graph from one entry only", () => {
    expect(reachableInputs(metafile, "lambdas/a.ts")).toEqual([
      "lambdas/a.ts",
      "lib/x.ts",
      "node_modules/dep/i.js",
    ]);
  });

  it("hashes own files one by one and dependencies together", () => {
    const digests: Record<string, string> = {
      "lambdas/a.ts": "1",
      "lib/x.ts": "2",
      "node_modules/dep/i.js": "3",
    };
    const before = summarizeSources(reachableInputs(metafile, "lambdas/a.ts"), (p) => digests[p]);
    expect(before.files).toEqual({ "lambdas/a.ts": "1", "lib/x.ts": "2" });
    digests["node_modules/dep/i.js"] = "4";
    const after = summarizeSources(reachableInputs(metafile, "lambdas/a.ts"), (p) => digests[p]);
    expect(after.files).toEqual(before.files);
    expect(after.dependencies).not.toBe(before.dependencies);
    expect(after.sha256).not.toBe(before.sha256);
  });
});
