import { describe, expect, it } from "vitest";
import { whyNoChampion } from "../../pipeline/model/gate.ts";
import type { GateSpec } from "../../pipeline/spec/types.ts";
import type { ModelVersion } from "../../pipeline/store.ts";

const GATE: GateSpec = { metric: "accuracy", minimum: 0.8, maximum: null, margin: 0 };

const version = (over: Partial<ModelVersion>): ModelVersion => ({
  pipeline: "p",
  version: "v3",
  sequence: 3,
  registeredAt: "2026-12-03T00:00:00.000Z",
  promotions: [],
  modelUri: "s3://a/p/model.bin",
  metrics: { accuracy: 0.61 },
  params: {},
  lineage: {
    dataSha256: "d",
    specSha256: "s",
    seed: 1,
    orchardVersion: "0",
    createdAt: "2026-12-03T00:00:00.000Z",
  },
  status: "rejected",
  ...over,
});

describe("whyNoChampion: what the no-champion message says", () => {
  it("without any version: no run registered a model", () => {
    expect(whyNoChampion(GATE, null)).toBe("no run has registered a model yet");
  });

  it("a rejected newest version: the gate's failed check with the value and the bound", () => {
    expect(whyNoChampion(GATE, version({}))).toBe(
      "the newest model v3 was rejected by the gate (gate.metric accuracy): accuracy 0.61 is below the minimum 0.8; change gate.minimum in the spec or improve the model, then run again",
    );
  });

  it("a lower-is-better metric names gate.maximum", () => {
    const gate: GateSpec = { metric: "rmse", minimum: null, maximum: 2, margin: 0 };
    expect(whyNoChampion(gate, version({ metrics: { rmse: 3.5 } }))).toContain(
      "rmse 3.5 is above the maximum 2; change gate.maximum",
    );
  });

  it("a rejected version without a finite metric says so", () => {
    expect(whyNoChampion(GATE, version({ metrics: {} }))).toContain(
      "its accuracy was not a finite number",
    );
  });

  it("a version its canary rolled back: the canary's reason", () => {
    const v = version({
      status: "rolled-back",
      canary: { outcome: "rolled-back", at: "2026-12-03T01:00:00.000Z", reason: "error rate 5%" },
    });
    expect(whyNoChampion(GATE, v)).toBe(
      "the newest model v3 was rolled back by its canary: error rate 5%",
    );
  });

  it("an approved version that was not promoted points to orchard promote", () => {
    expect(whyNoChampion(GATE, version({ status: "approved" }))).toMatch(
      /v3 is approved but was not promoted; promote it with "orchard promote"/,
    );
  });
});
