/**
 * A custom trainer's task role (infra/access/custom-trainer.ts), simulated with
 * @cloud-copilot/iam-simulate: exactly read on its inputs and write on its outputs, through the
 * data-lake key in S3; nothing else of the pipeline or of another one. The keys Select uses
 * (pipeline/steps/custom-select.ts) lie under the granted prefixes, and Select itself may
 * write the inputs and read the outputs.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { describe, expect, it } from "vitest";
import { customTrainerPolicy } from "../../infra/access/custom-trainer.ts";
import { type PolicyDocument, stepPolicy } from "../../infra/access/policies.ts";
import { customTrainingKeys } from "../../pipeline/steps/custom-select.ts";
import { ACCOUNT, BUCKETS, KEY, REGION, STEP_LOG_GROUP, targets } from "./iam-targets.ts";

type Context = Record<string, string | string[]>;

const KEY_POLICY = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "EnableIamPolicies",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: "kms:*",
      Resource: "*",
    },
  ],
};

async function decide(
  policy: PolicyDocument,
  action: string,
  resource: string,
  context: Context = {},
): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${ACCOUNT}:role/orchard-trainer`,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: context,
      },
      identityPolicies: [{ name: "trainer", policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(action.startsWith("kms:") ? { resourcePolicy: KEY_POLICY } : {}),
    },
    {},
  );
  if (result.resultType === "error") throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}

const P = "penguins";
const keys = customTrainingKeys(P, "ab".repeat(32));
const object = (key: string) => `${BUCKETS.artifacts}/${key}`;
const viaS3 = { "kms:ViaService": `s3.${REGION}.amazonaws.com` };
const trainer = customTrainerPolicy(targets(P));

describe("the custom trainer's task role", () => {
  it.each([
    ["s3:GetObject", object(keys.train)],
    ["s3:GetObject", object(keys.test)],
    ["s3:GetObject", object(keys.schema)],
    ["s3:ListBucket", BUCKETS.artifacts, { "s3:prefix": keys.train }],
    ["s3:PutObject", object(keys.model)],
    ["s3:PutObject", object(keys.metrics)],
    ["kms:Decrypt", KEY, viaS3],
    ["kms:GenerateDataKey", KEY, viaS3],
  ] as [string, string, Context?][])("may %s %s", async (action, resource, context) => {
    expect(await decide(trainer, action, resource, context)).toBe("Allowed");
  });

  it.each([
    // Not its inputs to overwrite, nor its outputs to read back.
    ["s3:PutObject", object(keys.train)],
    ["s3:GetObject", object(keys.model)],
    ["s3:DeleteObject", object(keys.model)],
    // Nothing else of the pipeline: raw data, features, models, specs, the cache.
    ["s3:GetObject", `${BUCKETS.raw}/${P}/ab12.csv`],
    ["s3:GetObject", `${BUCKETS.features}/${P}/datasets/9f.bin`],
    ["s3:GetObject", object(`${P}/models/e3.orchard-model`)],
    ["s3:GetObject", object(`${P}/specs/4f.yaml`)],
    ["s3:ListBucket", BUCKETS.artifacts, { "s3:prefix": `${P}/models/` }],
    // Nor another pipeline's training data.
    ["s3:GetObject", object(customTrainingKeys("cars", "cd".repeat(32)).train)],
    ["s3:PutObject", object(customTrainingKeys("cars", "cd".repeat(32)).model)],
    // The key only through S3.
    ["kms:Decrypt", KEY, { "kms:ViaService": `dynamodb.${REGION}.amazonaws.com` }],
    ["dynamodb:GetItem", `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/registry-4a5b6c`],
  ] as [string, string, Context?][])("may not %s %s", async (action, resource, context) => {
    expect(await decide(trainer, action, resource, context)).not.toBe("Allowed");
  });

  it("is what Select hands over: Select may write the inputs and read the outputs", async () => {
    const select = stepPolicy("select", targets(P), { logGroupArn: STEP_LOG_GROUP });
    for (const key of [keys.train, keys.test, keys.schema]) {
      expect(await decide(select, "s3:PutObject", object(key))).toBe("Allowed");
    }
    for (const key of [keys.model, keys.metrics]) {
      expect(await decide(select, "s3:GetObject", object(key))).toBe("Allowed");
      expect(await decide(select, "s3:PutObject", object(key))).not.toBe("Allowed");
    }
  });
});
