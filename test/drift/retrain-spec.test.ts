import { describe, expect, it } from "vitest";
import { parseSpec } from "../../pipeline/spec/parse-spec.ts";

const base = `name: p
source: { uri: data.csv }
target: y
task: classification
`;

describe("spec retrain", () => {
  it.each([
    ["", { when: "always", psiThreshold: 0.2 }],
    ["retrain: always\n", { when: "always", psiThreshold: 0.2 }],
    ["retrain: on-drift\n", { when: "on-drift", psiThreshold: 0.2 }],
    ["retrain: { onDrift: { psiThreshold: 0.35 } }\n", { when: "on-drift", psiThreshold: 0.35 }],
    ["retrain: { onDrift: {} }\n", { when: "on-drift", psiThreshold: 0.2 }],
  ])("reads %j as %j", (yaml, want) => {
    expect(parseSpec(base + yaml, { file: "p.yaml" }).retrain).toEqual(want);
  });

  it.each([
    ["retrain: sometimes\n"],
    ["retrain: { onDrift: { psiThreshold: 0 } }\n"],
    ["retrain: { onDrift: { threshold: 0.2 } }\n"],
  ])("rejects %j, naming the key", (yaml) => {
    expect(() => parseSpec(base + yaml, { file: "p.yaml" })).toThrow(/retrain/);
  });
});
