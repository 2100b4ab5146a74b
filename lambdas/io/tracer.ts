/**
 * X-Ray tracing with Powertools for AWS Lambda's Tracer: one tracer per process, subsegments
 * around every AWS SDK call (`captureAWSv3Client`, lambdas/io/clients.ts) and around each phase
 * of a step (`tracePhase`, lambdas/step-handler.ts). The functions already run with
 * `tracingConfig: Active` and the X-Ray write grant (infra/).
 *
 * Off outside Lambda (Powertools checks AWS_EXECUTION_ENV) and whenever
 * POWERTOOLS_TRACE_ENABLED=false, which the local executor sets (read at each call too, since
 * the executor sets it after this module is loaded); then every call here is a pass-through. `captureHTTPsRequests` is off: SDK calls are already captured as AWS calls,
 * and patching Node's http too would record each of them twice.
 */
import { Tracer } from "@aws-lambda-powertools/tracer";

export const tracer = new Tracer({ serviceName: "orchard", captureHTTPsRequests: false });

export function tracingEnabled(): boolean {
  return (
    tracer.isTracingEnabled() &&
    process.env.POWERTOOLS_TRACE_ENABLED?.trim().toLowerCase() !== "false"
  );
}

/** Records every call of an SDK client as a subsegment (when tracing is on). */
export function traceClient<C>(client: C): C {
  return tracingEnabled() ? tracer.captureAWSv3Client(client) : client;
}

/** Runs `fn` inside a subsegment `name` of the current (sub)segment, recording its error. */
export async function tracePhase<T>(name: string, fn: () => Promise<T>): Promise<T> {
  if (!tracingEnabled()) return fn();
  const parent = tracer.getSegment();
  if (!parent) return fn();
  const subsegment = parent.addNewSubsegment(name);
  tracer.setSegment(subsegment);
  try {
    return await fn();
  } catch (err) {
    subsegment.addError(err as Error);
    throw err;
  } finally {
    subsegment.close();
    tracer.setSegment(parent);
  }
}
