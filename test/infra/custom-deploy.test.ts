/**
 * A `model.type: custom` pipeline deploys only when its trainer can run in the cloud, which
 * this version cannot yet do (docs/custom-training.md): the stack refuses it by name instead
 * of deploying a pipeline whose every run would fail in Select.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../infra/config.ts";
import { InfraConfigError } from "../../infra/errors.ts";
import { loadDeploySpecs } from "../../infra/specs.ts";

const SPEC = "examples/custom-train/pipeline.yaml";

describe("deploying a custom trainer", () => {
  it("is refused, naming the config entry, the spec and what to do", () => {
    const load = () =>
      loadDeploySpecs([
        {
          spec: SPEC,
          specFile: path.resolve(PROJECT_ROOT, SPEC),
          key: "orchard:pipelines[0]",
          schedule: "rate(1 day)",
          timeZone: "UTC",
          uploadSource: true,
          enabled: true,
        },
      ]);
    expect(load).toThrow(InfraConfigError);
    expect(load).toThrow(
      /orchard:pipelines\[0\]\.spec: examples\/custom-train\/pipeline\.yaml has model\.type custom.*orchard run.*docs\/custom-training\.md/s,
    );
  });
});
