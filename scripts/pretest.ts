/**
 * `npm test` runs this first: a browser for the report and UI tests (scripts/browser.ts), and
 * Debian's scikit-learn and onnx for the custom trainer example
 * (test/integration/custom-train.test.ts), installed with apt-get when missing and this
 * process may (root). Neither is fatal here: the tests that need them fail with the line
 * printed below, and every other test still runs.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { ensureBrowser, GET_A_BROWSER } from "./browser.ts";

const browser = ensureBrowser();
console.error(browser ? `pretest: browser tests use ${browser}` : `pretest: ${GET_A_BROWSER}`);

const PYTHON = "/usr/bin/python3";
const PYTHON_PACKAGES = ["python3-sklearn", "python3-onnx"];
const hasPythonPackages = () =>
  spawnSync(PYTHON, ["-c", "import sklearn, onnx"], { stdio: "ignore" }).status === 0;

if (!hasPythonPackages()) {
  const canInstall =
    process.platform === "linux" && process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");
  if (canInstall) {
    console.error(`pretest: installing Debian's ${PYTHON_PACKAGES.join(" and ")} with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    try {
      execFileSync("apt-get", ["update", "-qq"], { stdio: ["ignore", "ignore", "inherit"], env });
      execFileSync("apt-get", ["install", "-y", "-qq", ...PYTHON_PACKAGES], {
        stdio: ["ignore", "ignore", "inherit"],
        env,
      });
    } catch (error) {
      console.error(`pretest: apt-get failed (${(error as Error).message.split("\n")[0]})`);
    }
  }
  if (!hasPythonPackages()) {
    console.error(
      `pretest: ${PYTHON} cannot import sklearn and onnx, which the custom trainer test runs: install Debian's ${PYTHON_PACKAGES.join(" ")} (npm test does this itself when run as root)`,
    );
  }
}
