// Loaded with `node --import` into an `orchard` process a test spawns while the deployed IAM
// is enforced (test/reliability/support.ts): the child enforces it too, and writes what it
// refused to ORCHARD_TEST_IAM_DENIED_LOG, which the parent's setup reports.
import { appendFileSync } from "node:fs";
import { register } from "tsx/esm/api";

register();
const { enforceDeployedIam } = await import("./iam-enforcement.ts");
const enforcement = enforceDeployedIam();
const log = process.env.ORCHARD_TEST_IAM_DENIED_LOG;
process.on("exit", () => {
  if (!log || enforcement.denied.length === 0) return;
  const lines = enforcement.denied.map((d) => `${JSON.stringify({ pid: process.pid, ...d })}\n`);
  appendFileSync(log, lines.join(""));
});
