import { describe, expect, it } from "vitest";
import { currentCaller, pipelineOfEvent, runAs } from "../../lambdas/io/caller.ts";

describe("the caller of storage calls", () => {
  it("follows the code through awaits and timers, and is gone outside", async () => {
    const seen = await runAs({ role: "validate", pipeline: "penguins" }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      return currentCaller();
    });
    expect(seen).toEqual({ role: "validate", pipeline: "penguins" });
    expect(currentCaller()).toBeUndefined();
  });

  it("inherits the pipeline from the enclosing caller when a step names only its role", () => {
    const inner = runAs({ role: "platform-admin", pipeline: "cars" }, () =>
      runAs({ role: "train" }, () => currentCaller()),
    );
    expect(inner).toEqual({ role: "train", pipeline: "cars" });
  });

  it.each([
    [{ run: { pipeline: "a" } }, "a"],
    [{ candidate: {}, run: { run: { pipeline: "b" } } }, "b"],
    [{ pipeline: "c", rows: [] }, "c"],
    [{ rows: [] }, undefined],
    [null, undefined],
  ])("reads the pipeline of the event %j", (event, pipeline) => {
    expect(pipelineOfEvent(event)).toBe(pipeline);
  });
});
