/**
 * `npm run build` (and `npm pack`, through prepack): compiles the package to JavaScript with
 * type declarations under lib/ (tsconfig.build.json: the `.ts` import specifiers are rewritten
 * to `.js`), so the installed orchard-ml runs on plain Node. lib/ is rebuilt from scratch
 * every time: a stale file must not survive a deleted source.
 *
 * `--out DIR` builds into DIR instead (test/infra/kubernetes-entrypoint.test.ts builds the
 * image's lib/ that way, leaving the checkout's alone).
 *
 * One extra step: the forest worker pool starts `forest-worker.js` beside itself when it is
 * not running from sources (pipeline/forest/worker-pool.ts), so the compiled worker is
 * copied under that name.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const outAt = process.argv.indexOf("--out");
const LIB = outAt > 0 ? resolve(process.argv[outAt + 1]) : join(ROOT, "lib");

const started = Date.now();
rmSync(LIB, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", join(ROOT, "tsconfig.build.json"), "--outDir", LIB], {
  stdio: "inherit",
});
const forest = join(LIB, "pipeline", "forest");
copyFileSync(join(forest, "worker.js"), join(forest, "forest-worker.js"));
console.log(`lib/ built in ${Date.now() - started} ms`);
