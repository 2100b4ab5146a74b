/**
 * The tree shards of a sharded fit (`model.shards` > 1) are intermediate objects: the artifacts
 * bucket expires them with a lifecycle rule on the very prefix TrainShard writes and the shard
 * roles are granted (all from pipeline/steps/intermediate-keys.ts), after
 * `orchard:shardObjectDays`. A pipeline that does not shard gets no rule.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { STEP_ACCESS } from "../../infra/access/declarations.ts";
import { shardPrefix } from "../../pipeline/steps/intermediate-keys.ts";
import { runStack, type StackRun } from "./harness.ts";

const LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration";

function spec(dir: string, name: string, model = ""): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}\nsource:\n  uri: s3://landing-bucket/${name}.csv\ntarget: y\ntask: classification\n${model}`,
  );
  return file;
}

type Rule = { id: string; filter: { prefix?: string }; expiration?: { days: number } };

async function artifactRules(config: Record<string, string> = {}): Promise<Rule[]> {
  const dir = mkdtempSync(path.join(tmpdir(), "orchard-shard-lifecycle-"));
  const run: StackRun = await runStack("staging", {
    config: {
      "orchard:pipelines": JSON.stringify([
        { spec: spec(dir, "sharded", "model:\n  shards: 4\n") },
        { spec: spec(dir, "plain") },
      ]),
      ...config,
    },
  });
  const artifacts = run.ofType(LIFECYCLE).find((l) => l.name.endsWith("-artifacts-lifecycle"));
  return artifacts?.inputs.rules as Rule[];
}

describe("the lifecycle of shard objects", () => {
  let rules: Rule[];
  beforeAll(async () => {
    rules = await artifactRules({ "orchard:shardObjectDays": "3" });
  });

  it("expires the sharded pipeline's shards after orchard:shardObjectDays, and no other pipeline's", () => {
    const expiring = rules.filter((r) => r.expiration);
    expect(expiring.map((r) => [r.id, r.filter.prefix, r.expiration?.days])).toEqual([
      ["expire-sharded-shards", "sharded/shards/", 3],
    ]);
  });

  it("expires exactly the prefix the shard steps are granted (and TrainShard writes)", () => {
    const rule = rules.find((r) => r.id === "expire-sharded-shards");
    expect(rule?.filter.prefix).toBe(shardPrefix("sharded"));
    for (const step of ["trainShard", "assemble"] as const) {
      const prefixes = STEP_ACCESS[step].flatMap((a) =>
        "bucket" in a && a.bucket === "artifacts" && a.prefix !== "<pipeline>/specs/"
          ? [a.prefix.replace("<pipeline>", "sharded")]
          : [],
      );
      expect(prefixes).toContain(shardPrefix("sharded"));
    }
  });

  it("keeps shards 7 days by default", async () => {
    const defaults = await artifactRules();
    expect(defaults.find((r) => r.id === "expire-sharded-shards")?.expiration?.days).toBe(7);
  });
});
