/** Lambda code comes from the `npm run build:lambdas` output, checked before anything deploys. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { bundleCode } from "../../infra/code.ts";
import { DeployInputError } from "../../infra/errors.ts";

function dirWith(bundles: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), "orchard-code-"));
  for (const b of bundles) {
    mkdirSync(path.join(dir, b));
    writeFileSync(path.join(dir, b, "index.mjs"), "export const handler = async () => null;\n");
  }
  return dir;
}

describe("bundleCode", () => {
  it("archives each bundle's directory", async () => {
    const dir = dirWith(["ingest", "predict"]);
    const { archive } = bundleCode(dir, ["ingest", "predict"])("predict");
    expect(archive).toBeInstanceOf(pulumi.asset.FileArchive);
    expect(await (archive as pulumi.asset.FileArchive).path).toBe(path.join(dir, "predict"));
  });

  it("versions a bundle by its files: the same bytes anywhere alike, any changed byte or file not", () => {
    const a = dirWith(["ingest"]);
    const b = dirWith(["ingest"]);
    const version = (dir: string) => bundleCode(dir, ["ingest"])("ingest").version;
    expect(version(a)).toMatch(/^bundle-[0-9a-f]{16}$/);
    expect(version(b)).toBe(version(a));
    writeFileSync(path.join(b, "ingest", "index.mjs"), "export const handler = async () => 1;\n");
    expect(version(b)).not.toBe(version(a));
    const c = dirWith(["ingest"]);
    mkdirSync(path.join(c, "ingest", "chunks"));
    writeFileSync(path.join(c, "ingest", "chunks", "x.mjs"), "");
    expect(version(c)).not.toBe(version(a));
  });

  it("refuses to deploy without the bundles, naming them, the config key and the build command", () => {
    const dir = dirWith(["ingest"]);
    const call = () => bundleCode(dir, ["ingest", "notify-failure", "predict"]);
    expect(call).toThrow(DeployInputError);
    expect(call).toThrow(/notify-failure, predict .*orchard:codeDir.*npm run build:lambdas/);
  });
});
