/**
 * The browser finder behind `npm test`'s pretest and the browser tests: ORCHARD_BROWSER wins,
 * a browser counts only when it starts, and without one the tests fail saying how to get one.
 */
import { chmod, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { findBrowser, GET_A_BROWSER } from "../../scripts/browser.ts";

async function fakeBrowser(script: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), "orchard-browser-")), "chrome");
  await writeFile(path, `#!/bin/sh\n${script}\n`);
  await chmod(path, 0o755);
  return path;
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe("findBrowser", () => {
  it("takes ORCHARD_BROWSER when it answers --version", async () => {
    const path = await fakeBrowser('echo "Chromium 156.0.8078.73"');
    vi.stubEnv("ORCHARD_BROWSER", path);
    expect(findBrowser()).toBe(path);
  });

  it.each([
    ["does not exist", null],
    ["exits non-zero", "exit 1"],
    ["prints no version", "echo hello"],
  ])("finds none when ORCHARD_BROWSER %s", async (_, script) => {
    vi.stubEnv(
      "ORCHARD_BROWSER",
      script === null ? "/nonexistent/chrome" : await fakeBrowser(script),
    );
    expect(findBrowser()).toBeNull();
  });

  it("makes the browser tests fail, not skip, with the line that says how to get one", async () => {
    vi.stubEnv("ORCHARD_BROWSER", "/nonexistent/chrome");
    const { launch } = await import("./browser.ts");
    await expect(launch()).rejects.toThrow(GET_A_BROWSER);
    expect(GET_A_BROWSER).toMatch(/apt-get install -y --no-install-recommends chromium/);
  });
});
