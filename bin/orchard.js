#!/usr/bin/env node
// The `orchard` command. Orchard ships TypeScript sources; tsx runs them without a build step.
import { register } from "tsx/esm/api";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
register();
await import("../cli/main.ts");
