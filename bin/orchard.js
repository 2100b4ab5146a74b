#!/usr/bin/env node
// The `orchard` command. In an Orchard checkout (the TypeScript sources are beside this file)
// tsx runs them without a build step; the installed package (orchard-ml) runs the JavaScript
// that `npm run build` compiled into lib/, so users never need tsx.
import { existsSync } from "node:fs";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
if (existsSync(new URL("../cli/main.ts", import.meta.url))) {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../cli/main.ts");
} else {
  await import("../lib/cli/main.js");
}
