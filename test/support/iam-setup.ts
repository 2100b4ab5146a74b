/**
 * Vitest setup of the IAM-enforced suites (vitest.config.ts, project "iam-enforced"): every
 * storage call the code under test makes is authorized against the deployed role's policy
 * first (iam-enforcement.ts), in this process and in the `orchard` processes it spawns
 * (test/reliability/support.ts passes `enforcedChildEnv()`). A refusal fails the call as AWS
 * would; and because code may swallow a failure (a cache write that fails does not fail its
 * step), any refusal left at the end of a file fails the file too. A test that expects
 * refusals checks and clears them (`activeEnforcement()?.reset()`).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { DENIED_LOG_ENV, enforceDeployedIam } from "./iam-enforcement.ts";

const enforcement = enforceDeployedIam();
const logDir = mkdtempSync(join(tmpdir(), "orchard-iam-log-"));
const log = join(logDir, "denied.ndjson");
process.env[DENIED_LOG_ENV] = log;

afterAll(() => {
  enforcement.stop();
  const children = existsSync(log)
    ? readFileSync(log, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as (typeof enforcement.denied)[number] & { pid: number })
    : [];
  rmSync(logDir, { recursive: true, force: true });
  const denied = [...enforcement.denied, ...children];
  if (denied.length > 0) {
    const lines = denied.map(
      (d) => `  ${d.role} (${d.pipeline}) ${d.command}: ${d.action} on ${d.resource}`,
    );
    throw new Error(
      `the deployed IAM refused ${denied.length} storage call(s) in this file:\n${[...new Set(lines)].join("\n")}\nDeclare the missing access in infra/access/declarations.ts.`,
    );
  }
});
