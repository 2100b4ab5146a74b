import { describe, expect, it } from "vitest";
import { executeLocally, type StepHandler } from "../../cli/local/executor.ts";
import { installPromiseWithResolvers, withResolvers } from "../../cli/local/polyfills.ts";
import { TargetError } from "../../pipeline/errors.ts";
import { buildDefinition } from "../../pipeline/workflow/definition.ts";
import { localResources, STEP_NAMES, type StepName } from "../../pipeline/workflow/steps.ts";

describe("Promise.withResolvers polyfill", () => {
  it("installs a working withResolvers on a target that lacks one", async () => {
    const target: { withResolvers?: typeof withResolvers } = {};
    expect(installPromiseWithResolvers(target)).toBe(true);
    const resolved = target.withResolvers!<number>();
    resolved.resolve(7);
    await expect(resolved.promise).resolves.toBe(7);
    const rejected = target.withResolvers!<number>();
    rejected.reject(new Error("no"));
    await expect(rejected.promise).rejects.toThrow("no");
  });

  it("leaves an existing implementation alone", () => {
    const existing = <T>() => withResolvers<T>();
    const target = { withResolvers: existing };
    expect(installPromiseWithResolvers(target)).toBe(false);
    expect(target.withResolvers).toBe(existing);
  });

  it("is installed on the global Promise once the executor is loaded", () => {
    expect(typeof (Promise as unknown as { withResolvers?: unknown }).withResolvers).toBe(
      "function",
    );
  });

  it("lets a step's own error reach Catch by name, not as the engine's TypeError", async () => {
    const resources = localResources("poly");
    const seen: unknown[] = [];
    const handlers = Object.fromEntries(
      STEP_NAMES.map((step): [StepName, StepHandler] => [
        step,
        async (event) => {
          if (step === "ingest") throw new TargetError("no target column");
          if (step === "notifyFailure") seen.push((event as { error: unknown }).error);
          return {};
        },
      ]),
    ) as Record<StepName, StepHandler>;
    const result = await executeLocally({
      definition: buildDefinition({ pipeline: "poly" }, resources),
      handlers,
      resources,
      input: {},
    });
    expect(result.error).toEqual({
      state: "Ingest",
      name: "TargetError",
      message: "no target column",
    });
    expect(seen).toEqual([expect.objectContaining({ Error: "TargetError" })]);
  });
});
