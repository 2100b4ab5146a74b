/**
 * Runs the real Pulumi program (infra/index.ts) against `pulumi.runtime.setMocks` with a
 * stack's real config file, and captures every resource it declares. A thin wrapper over
 * infra/synth/run-under-mocks.ts (what `orchard synth` runs), which documents the captured
 * shapes; here the program is re-evaluated by resetting vitest's module graph.
 *
 *   const run = await runStack("prod");                         // stacks/Pulumi.prod.yaml
 *   const run = await runStack("staging", { config: { "orchard:alarmEmail": "a@b.io" } });
 *   run.resources       CapturedResource[], in declaration order
 *   run.ofType(token)   those of one type token, e.g. "aws:s3/bucket:Bucket"
 *   run.one(token, n)   the one resource of that type whose name ends with `n`
 *   run.outputs         the stack outputs, resolved (what `pulumi stack output --json` shows)
 *
 * Policy rules can run over `run.resources` directly (`validateResource` takes type + inputs
 * as `props`). Lambda code comes from a temp `orchard:codeDir` holding one-line bundles, so no
 * build is needed. Fake account 123456789012.
 */
import { vi } from "vitest";
import { runUnderMocks, type StackRun } from "../../infra/synth/run-under-mocks.ts";

export {
  ACCOUNT_ID,
  type CapturedResource,
  type StackRun,
} from "../../infra/synth/run-under-mocks.ts";

export interface RunOptions {
  /** Overrides of the stack file's config; `undefined` removes a key. */
  config?: Record<string, string | undefined>;
  /** The whole config of a stack without a stack file (see grown-stack.ts). */
  stackValues?: Record<string, string | undefined>;
}

export function runStack(stack: string, options: RunOptions = {}): Promise<StackRun> {
  return runUnderMocks({
    stack,
    ...options,
    importProgram: (entryFile) => {
      vi.resetModules();
      return import(entryFile);
    },
  });
}
