/** `orchard init` (cli/init.ts): what it writes, what it refuses, what it merges. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ScaffoldError, scaffold } from "../../cli/init.ts";
import { parseConfig } from "../../infra/config.ts";
import { stackConfigValues } from "../../infra/stack-file.ts";
import { parseSpec } from "../../pipeline/spec/parse-spec.ts";
import { ORCHARD_VERSION } from "../../pipeline/version.ts";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "orchard-init-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const read = (dir: string, f: string) => readFileSync(path.join(dir, f), "utf8");

describe("orchard init", () => {
  it("writes a platform repository whose spec and stacks are valid", () => {
    const dir = path.join(tempDir(), "acme-ml");
    scaffold(dir, { pipeline: "churn" });
    const pkg = JSON.parse(read(dir, "package.json"));
    expect(pkg).toMatchObject({
      name: "acme-ml",
      type: "module",
      dependencies: { "orchard-ml": `^${ORCHARD_VERSION}` },
    });
    expect(parse(read(dir, "Pulumi.yaml"))).toMatchObject({
      name: "acme-ml",
      main: "infra/index.ts",
      stackConfigDir: "stacks",
    });
    const specFile = path.join(dir, "pipelines/churn/pipeline.yaml");
    expect(parseSpec(read(dir, "pipelines/churn/pipeline.yaml"), { file: specFile }).name).toBe(
      "churn",
    );
    for (const stack of ["staging", "prod"]) {
      const values = stackConfigValues(read(dir, `stacks/Pulumi.${stack}.yaml`));
      const config = parseConfig(values, { project: "acme-ml", stack, rootDir: dir });
      expect(config.pipelines.map((p) => p.specFile)).toEqual([specFile]);
    }
    expect(read(dir, ".github/workflows/deploy.yml")).toContain("environment: production");
    expect(read(dir, ".github/workflows/deploy.yml")).toContain("orchard cloud run");
    expect(read(dir, "infra/index.ts")).toContain('from "orchard-ml/infra"');
  });

  it("refuses a directory with other files, and --force writes into it", () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "notes.txt"), "mine");
    expect(() => scaffold(dir)).toThrow(ScaffoldError);
    expect(() => scaffold(dir)).toThrow(/--force/);
    scaffold(dir, { force: true });
    expect(read(dir, "notes.txt")).toBe("mine");
    expect(read(dir, "Pulumi.yaml")).toContain("main: infra/index.ts");
  });

  it("merges the package.json that `npm install orchard-ml` left, keeping its dependency", () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "node_modules"));
    writeFileSync(
      path.join(dir, "package.json"),
      JSON.stringify({
        dependencies: { "orchard-ml": "file:../orchard-ml-0.1.0.tgz", zod: "4.6.7" },
      }),
    );
    scaffold(dir);
    const pkg = JSON.parse(read(dir, "package.json"));
    expect(pkg.dependencies).toEqual({
      "orchard-ml": "file:../orchard-ml-0.1.0.tgz",
      zod: "4.6.7",
    });
    expect(pkg.scripts.start).toBe("orchard run pipelines/penguins/pipeline.yaml");
  });
});
