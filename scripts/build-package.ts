/**
 * `npm run build` (and `npm pack`, through prepack): compiles the package to JavaScript with
 * type declarations under lib/ (tsconfig.build.json: the `.ts` import specifiers are rewritten
 * to `.js`), so the installed orchard-ml runs on plain Node. lib/ is rebuilt from scratch
 * every time: a stale file must not survive a deleted source.
 *
 * One extra step: the forest worker pool starts `forest-worker.js` beside itself when it is
 * not running from sources (pipeline/forest/worker-pool.ts), so the compiled worker is
 * copied under that name.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LIB = join(ROOT, "lib");

const started = Date.now();
rmSync(LIB, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", join(ROOT, "tsconfig.build.json")], {
  stdio: "inherit",
});
const forest = join(LIB, "pipeline", "forest");
copyFileSync(join(forest, "worker.js"), join(forest, "forest-worker.js"));
console.log(`lib/ built in ${Date.now() - started} ms`);
