/**
 * Vitest setup of the IAM-enforced suites (vitest.config.ts, project "iam-enforced"): every
 * storage call the code under test makes is authorized against the deployed role's policy
 * first (iam-enforcement.ts). A refusal fails the call as AWS would; and because code may
 * swallow a failure (a cache write that fails does not fail its step), any refusal left at
 * the end of a file fails the file too. A test that expects refusals checks and clears them
 * (`activeEnforcement()?.reset()`).
 */
import { afterAll } from "vitest";
import { enforceDeployedIam } from "./iam-enforcement.ts";

const enforcement = enforceDeployedIam();

afterAll(() => {
  enforcement.stop();
  if (enforcement.denied.length > 0) {
    const lines = enforcement.denied.map(
      (d) => `  ${d.role} (${d.pipeline}) ${d.command}: ${d.action} on ${d.resource}`,
    );
    throw new Error(
      `the deployed IAM refused ${enforcement.denied.length} storage call(s) in this file:\n${[...new Set(lines)].join("\n")}\nDeclare the missing access in infra/access/declarations.ts.`,
    );
  }
});
