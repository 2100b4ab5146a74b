import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { StackOutputsError } from "../../cli/cloud/errors.ts";
import {
  loadStackOutputs,
  parseStackOutputs,
  regionOfOutputs,
  storageConfigFromOutputs,
} from "../../cli/cloud/stack-outputs.ts";

const STORAGE = {
  rawBucket: "raw-1",
  featuresBucket: "features-1",
  artifactsBucket: "artifacts-1",
  featureTable: "features-t",
  registryTable: "registry-t",
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "orchard-outputs-"));
});

function write(path: string, values: unknown) {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, typeof values === "string" ? values : JSON.stringify(values));
  return path;
}

describe("loadStackOutputs", () => {
  it("--outputs wins over the stacks/outputs convention and Pulumi", async () => {
    write(join(dir, "stacks/outputs/staging.json"), { region: "eu-west-1" });
    const explicit = write(join(dir, "mine.json"), { region: "us-east-2" });
    const automation = vi.fn();
    const outputs = await loadStackOutputs({
      stack: "staging",
      outputsFile: explicit,
      cwd: dir,
      automation,
    });
    expect(outputs.values.region).toBe("us-east-2");
    expect(automation).not.toHaveBeenCalled();
  });

  it("reads stacks/outputs/<stack>.json before asking Pulumi", async () => {
    write(join(dir, "stacks/outputs/prod.json"), { region: "eu-central-1" });
    const automation = vi.fn();
    const outputs = await loadStackOutputs({ stack: "prod", cwd: dir, automation });
    expect(outputs.values.region).toBe("eu-central-1");
    expect(outputs.source).toBe(join(dir, "stacks/outputs/prod.json"));
    expect(automation).not.toHaveBeenCalled();
  });

  it("falls back to the Automation API reader when there is no file", async () => {
    const automation = vi.fn(async () => ({ region: "ap-south-1" }));
    const outputs = await loadStackOutputs({ stack: "qa", cwd: dir, automation });
    expect(automation).toHaveBeenCalledWith("qa", dir);
    expect(outputs.source).toBe("pulumi stack qa");
    expect(outputs.values.region).toBe("ap-south-1");
  });

  it.each([
    ["not JSON", "{region:", /is not JSON .*--json flag matters/],
    [
      "a wrong type",
      JSON.stringify({ pipelines: { p: { stateMachineArn: 7 } } }),
      /output "pipelines\.p\.stateMachineArn" is invalid/,
    ],
  ])("a file that is %s is a StackOutputsError naming the problem", async (_, text, message) => {
    const file = write(join(dir, "bad.json"), text);
    const failure = loadStackOutputs({ outputsFile: file, cwd: dir });
    await expect(failure).rejects.toThrow(StackOutputsError);
    await expect(failure).rejects.toThrow(message);
  });

  it("an unreadable file names it and how to export it", async () => {
    await expect(loadStackOutputs({ outputsFile: "missing.json", cwd: dir })).rejects.toThrow(
      /Cannot read the stack outputs file .*missing\.json.*pulumi stack output --json/,
    );
  });
});

describe("storageConfigFromOutputs", () => {
  it("maps the five storage outputs and takes the region from an ARN", () => {
    const outputs = parseStackOutputs(
      {
        ...STORAGE,
        pipelines: {
          p: { stateMachineArn: "arn:aws:states:eu-west-1:123456789012:stateMachine:sm" },
        },
        humanRoleArns: { x: "arn:aws:iam::123456789012:role/x" },
      },
      "f.json",
    );
    expect(storageConfigFromOutputs(outputs)).toEqual({
      buckets: { raw: "raw-1", features: "features-1", artifacts: "artifacts-1" },
      featureTable: "features-t",
      registryTable: "registry-t",
      region: "eu-west-1",
    });
  });

  it("an explicit region output wins over ARNs", () => {
    const outputs = parseStackOutputs(
      { region: "us-west-2", keyArn: "arn:aws:kms:eu-west-1:123456789012:key/k" },
      "f",
    );
    expect(regionOfOutputs(outputs)).toBe("us-west-2");
  });

  it.each(Object.keys(STORAGE))("a missing %s is named", (name) => {
    const values: Record<string, string> = { ...STORAGE };
    delete values[name];
    expect(() => storageConfigFromOutputs(parseStackOutputs(values, "prod.json"))).toThrow(
      new RegExp(`prod\\.json have no output "${name}"`),
    );
  });
});
