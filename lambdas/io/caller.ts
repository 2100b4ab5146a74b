/**
 * Who is calling AWS right now: the role the code runs as in the deployed stack (a step's
 * execution role, predict's, or the human role an operator command stands for) and the
 * pipeline it acts for. On AWS the credentials say it; in one local process every step shares
 * the storage clients, so the step handler, the predict entry points, the local runner and the
 * operator commands name it here (`runAs`), and it follows the call through every `await`
 * (AsyncLocalStorage).
 *
 * Nothing in the package reads it to decide anything: it is what a test-only layer in front
 * of the embedded S3 and DynamoDB reads to authorize each call against that role's deployed
 * policy (test/support/iam-enforcement.ts, with the IAM simulator), and a hook for tracing.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface Caller {
  /** A step role name (`validate`, `predict`, …) or a human role (`platform-admin`, …). */
  role: string;
  /** The pipeline the role acts for, when one is known. */
  pipeline?: string;
  /**
   * The feature view the role acts for: a view's materialization role (one per view in the
   * stack), or a person reading a view (`orchard features get`).
   */
  view?: string;
}

const callers = new AsyncLocalStorage<Caller>();

/** Runs `fn` as `caller`; a missing pipeline is inherited from the enclosing caller. */
export function runAs<T>(caller: Caller, fn: () => T): T {
  const pipeline = caller.pipeline ?? callers.getStore()?.pipeline;
  return callers.run(pipeline ? { ...caller, pipeline } : caller, fn);
}

/** The caller of the code running now, if one was named. */
export function currentCaller(): Caller | undefined {
  return callers.getStore();
}

/**
 * The pipeline a step event is about: the run's (`run.pipeline`), a Map iteration's
 * (`run.run.pipeline`), or a direct invocation's (`pipeline`).
 */
export function pipelineOfEvent(event: unknown): string | undefined {
  const e = event as {
    pipeline?: unknown;
    run?: { pipeline?: unknown; run?: { pipeline?: unknown } };
    /** A Distributed Map child's batch (ItemBatcher's BatchInput). */
    BatchInput?: { pipeline?: unknown };
  } | null;
  const found = e?.run?.pipeline ?? e?.run?.run?.pipeline ?? e?.pipeline ?? e?.BatchInput?.pipeline;
  return typeof found === "string" ? found : undefined;
}
