/**
 * Stack outputs through the Pulumi Automation API, for machines with a Pulumi CLI and a
 * logged-in backend. Deliberately thin and NOT exercised by the tests: no Pulumi CLI can be
 * installed where Orchard is developed (TOOLCHAIN.md), so the tests use `--outputs` files and
 * the `stacks/outputs/<stack>.json` convention instead. The Automation API is imported only
 * when this runs, so `orchard cloud` does not load Pulumi otherwise.
 */
import { spawnSync } from "node:child_process";

/** True when a `pulumi` executable answers on PATH. */
export function hasPulumiCli(): boolean {
  const probe = spawnSync("pulumi", ["version"], { stdio: "ignore", timeout: 10_000 });
  return probe.status === 0;
}

/**
 * The outputs of `stack` of the Pulumi project in `cwd` as plain values (secrets included,
 * like `pulumi stack output --json --show-secrets`), or null when no Pulumi CLI is available.
 */
export async function readOutputsWithAutomation(
  stack: string,
  cwd: string,
): Promise<Record<string, unknown> | null> {
  if (!hasPulumiCli()) return null;
  const { LocalWorkspace } = await import("@pulumi/pulumi/automation/index.js");
  const selected = await LocalWorkspace.selectStack({ stackName: stack, workDir: cwd });
  const outputs = await selected.outputs();
  return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value]));
}
