/** The hooks that let plain Node import a platform repository's TypeScript (cli/ts-loader/). */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { load, resolve } from "../../cli/ts-loader/hooks.ts";

const dir = mkdtempSync(path.join(tmpdir(), "orchard-ts-loader-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const url = (name: string) => pathToFileURL(path.join(dir, name)).href;

/** Node's default resolver, reduced to "the file exists". */
const next = async (specifier: string, context: { parentURL?: string }) => {
  const target = new URL(specifier, context.parentURL);
  const { existsSync } = await import("node:fs");
  if (!existsSync(target)) throw new Error(`ERR_MODULE_NOT_FOUND ${target.href}`);
  return { url: target.href };
};

describe("ts-loader hooks", () => {
  it("strips the types of a user's .ts file (a query string is kept out of the path)", async () => {
    writeFileSync(
      path.join(dir, "program.ts"),
      "const n: number = 1;\nexport const x = n as number;\n",
    );
    const passThrough = async () => ({ format: "builtin" });
    const out = await load(`${url("program.ts")}?orchard-synth=3`, {}, passThrough);
    expect(out.format).toBe("module");
    expect(String(out.source)).toContain("const n = 1");
    expect(String(out.source)).not.toContain(": number");
  });

  it("leaves JavaScript and node_modules to Node", async () => {
    const passThrough = async () => ({ format: "commonjs", source: "js" });
    expect(await load(url("a.js"), {}, passThrough)).toEqual({ format: "commonjs", source: "js" });
    const dep = pathToFileURL("/x/node_modules/pkg/index.ts").href;
    expect(await load(dep, {}, passThrough)).toEqual({ format: "commonjs", source: "js" });
  });

  it.each([["./helper"], ["./helper.js"]])(
    "resolves %s from a .ts file to helper.ts",
    async (specifier) => {
      writeFileSync(path.join(dir, "helper.ts"), "export const h = 1;\n");
      const context = { parentURL: url("program.ts"), conditions: [] };
      expect((await resolve(specifier, context, next)).url).toBe(url("helper.ts"));
    },
  );

  it("still fails, with Node's error, for a file that does not exist", async () => {
    const context = { parentURL: url("program.ts"), conditions: [] };
    await expect(resolve("./missing", context, next)).rejects.toThrow(/ERR_MODULE_NOT_FOUND/);
  });
});
