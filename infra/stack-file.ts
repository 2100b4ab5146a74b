/**
 * Reads `stacks/Pulumi.<stack>.yaml` into the flat key → text map Pulumi hands a program
 * (structured values become JSON text, scalars their text), for the tools that run without
 * the Pulumi CLI: the cost script and the mock tests.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import type { ConfigValues } from "./config.ts";
import { DeployInputError } from "./errors.ts";

export function stackConfigValues(yamlText: string, file = "stack file"): ConfigValues {
  const doc = parse(yamlText) as { config?: Record<string, unknown> } | null;
  const config = doc?.config ?? {};
  if (typeof config !== "object" || Array.isArray(config)) {
    throw new DeployInputError(`${file}: "config" must be a mapping of keys to values`, { file });
  }
  const values: ConfigValues = {};
  for (const [key, value] of Object.entries(config)) {
    values[key] =
      typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
  }
  return values;
}

/** `configDir`: Pulumi.yaml's `stackConfigDir`, relative to `rootDir` (Orchard's: stacks). */
export function stackFilePath(rootDir: string, stack: string, configDir = "stacks"): string {
  return path.join(path.resolve(rootDir, configDir), `Pulumi.${stack}.yaml`);
}

export function readStackFile(rootDir: string, stack: string, configDir = "stacks"): ConfigValues {
  const file = stackFilePath(rootDir, stack, configDir);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new DeployInputError(
      `no stack file ${file}: create it or pick one of the stacks beside it`,
      { file },
      { cause },
    );
  }
  return stackConfigValues(text, file);
}
