/**
 * `import "orchard-ml/register"` (or `node --import orchard-ml/register`): lets Node import
 * TypeScript files of the user's repository (cli/ts-loader/hooks.ts). The scaffolded
 * Pulumi.yaml runs the Pulumi program with it; `orchard synth` and `orchard-ml/testing`
 * register it before they import the program. In an Orchard checkout tsx already does this.
 */
import { register } from "node:module";

let registered = false;

/** Registers the hooks once per process; a no-op when this module runs from sources (tsx). */
export function registerTypeScript(): void {
  if (registered || import.meta.url.endsWith(".ts")) return;
  registered = true;
  register(new URL("./hooks.js", import.meta.url));
}

registerTypeScript();
