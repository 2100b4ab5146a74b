import { describe, expect, it } from "vitest";
import type { LocalRun } from "../../cli/local/run-pipeline.ts";
import { jsonSummary } from "../../cli/run.ts";
import type { RunState } from "../../pipeline/steps/types.ts";

/** A finished run with just the parts the summary reads. */
function finishedRun(state: Partial<RunState>): LocalRun {
  return {
    spec: { name: "penguins" },
    result: { status: "SUCCEEDED", executionId: "e1", error: undefined },
    state: { run: { pipeline: "penguins", specUri: "s3://a/spec.yaml" }, ...state },
    championBefore: null,
    championAfter: null,
  } as unknown as LocalRun;
}

const classification = {
  accuracy: 0.97,
  f1_macro: 0.96,
  f1_weighted: 0.97,
  precision_macro: 0.96,
  recall_macro: 0.96,
  log_loss: 0.1,
  roc_auc: 0.99,
};

describe("orchard run --json summary", () => {
  it.each([[["Adelie", "Chinstrap", "Gentoo"]], [["no", "yes"]]])(
    "reports roc_auc for classes %j",
    (classes) => {
      const summary = jsonSummary(
        finishedRun({ select: { classes, metrics: classification } as RunState["select"] }),
      );
      expect(Object.keys(summary.metrics)).toEqual([
        "accuracy",
        "f1_macro",
        "precision_macro",
        "recall_macro",
        "log_loss",
        "roc_auc",
      ]);
      expect(summary.metrics.roc_auc).toBe(0.99);
    },
  );
});
