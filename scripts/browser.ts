/**
 * The browser the report and UI tests drive with playwright-core (which downloads none).
 *
 * `findBrowser()` looks, in order, at ORCHARD_BROWSER, the usual Chromium and Chrome paths
 * (Debian's `chromium`, Ubuntu's `chromium-browser`, Google Chrome as GitHub's runners have
 * it) and browsers Playwright has already installed, and keeps the first that answers
 * `--version`. `npm test` runs `ensureBrowser()` first (the `pretest` script): when there is
 * none and this process may install one (root, with apt-get), it installs Debian's
 * `chromium`; otherwise it prints how to get one, and the browser tests fail with the same
 * line: they never skip.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export const GET_A_BROWSER =
  "no Chromium-family browser found for the report and UI tests: install Debian's chromium (as root: apt-get install -y --no-install-recommends chromium; npm test does this itself when run as root), or set ORCHARD_BROWSER=/path/to/chrome";

const SYSTEM_PATHS = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];

/** Chromium builds Playwright installed before (its cache, or PLAYWRIGHT_BROWSERS_PATH). */
function playwrightBrowsers(): string[] {
  const roots = [
    process.env.PLAYWRIGHT_BROWSERS_PATH,
    join(homedir(), ".cache", "ms-playwright"),
    join(homedir(), "Library", "Caches", "ms-playwright"),
  ].filter((root): root is string => Boolean(root) && existsSync(root as string));
  const found: string[] = [];
  for (const root of roots) {
    for (const dir of readdirSync(root)
      .filter((d) => d.startsWith("chromium"))
      .sort()
      .reverse()) {
      for (const sub of [
        "chrome-linux64/chrome",
        "chrome-linux/chrome",
        "chrome-headless-shell-linux64/chrome-headless-shell",
      ]) {
        found.push(join(root, dir, sub));
      }
    }
  }
  return found;
}

/** Whether the executable exists and starts (a snap stub or broken install does not count). */
function answers(path: string): boolean {
  if (!existsSync(path)) return false;
  const run = spawnSync(path, ["--version"], { encoding: "utf8", timeout: 20_000 });
  return run.status === 0 && /\d+\.\d+/.test(run.stdout);
}

export function findBrowser(): string | null {
  const chosen = process.env.ORCHARD_BROWSER;
  if (chosen) return answers(chosen) ? chosen : null;
  return [...SYSTEM_PATHS, ...playwrightBrowsers()].find(answers) ?? null;
}

function canInstallWithApt(): boolean {
  return process.platform === "linux" && process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");
}

/** Finds a browser, installing Debian's chromium when possible; returns its path or null. */
export function ensureBrowser(log: (line: string) => void = console.error): string | null {
  const found = findBrowser();
  if (found || process.env.ORCHARD_BROWSER) return found;
  if (!canInstallWithApt()) return null;
  log("pretest: no browser for the report and UI tests; installing Debian's chromium with apt-get");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    execFileSync("apt-get", ["update", "-qq"], { stdio: ["ignore", "ignore", "inherit"], env });
    execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "chromium"], {
      stdio: ["ignore", "ignore", "inherit"],
      env,
    });
  } catch (error) {
    log(`pretest: apt-get could not install chromium (${(error as Error).message.split("\n")[0]})`);
    return null;
  }
  return findBrowser();
}
