/**
 * IAM per feature view, simulated (@cloud-copilot/iam-simulate): a view's materialization role
 * writes just that view's offline files and online items; a pipeline's Ingest reads the
 * offline files and its predict the online items of just the views its spec consumes.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { describe, expect, it } from "vitest";
import { materializePolicy, type PolicyDocument, stepPolicy } from "../../infra/access/policies.ts";
import { ACCOUNT, BUCKETS, KEY, REGION, STEP_LOG_GROUP, TABLES, targets } from "./iam-targets.ts";

type Context = Record<string, string | string[]>;
type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

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
): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${ACCOUNT}:role/orchard-role`,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: context,
      },
      identityPolicies: [{ name: "orchard", policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(action.startsWith("kms:") ? { resourcePolicy: KEY_POLICY } : {}),
    },
    {},
  );
  if (result.resultType === "error") throw new Error(JSON.stringify(result.errors));
  return result.overallResult as Decision;
}

const SOURCE = "arn:aws:s3:::market-data/prices/prices.csv";
const view = (v: string, key: string) => `${BUCKETS.features}/views/${v}/${key}`;
const keys = (...k: string[]) => ({ "dynamodb:LeadingKeys": k });
const listing = (prefix: string) => ({ "s3:prefix": prefix });
const via = (service: string) => ({ "kms:ViaService": `${service}.${REGION}.amazonaws.com` });
const PARQUET =
  "event_date=2010-03-01/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.parquet";

const materialize = materializePolicy(
  {
    view: "stock_prices",
    featuresBucketArn: BUCKETS.features,
    featureTableArn: TABLES.features,
    keyArn: KEY,
    sourceObjectArns: [SOURCE],
  },
  { logGroupArn: STEP_LOG_GROUP },
);
const consumer = (step: "ingest" | "predict", views?: string[]) =>
  stepPolicy(
    step,
    { ...targets("stock-direction"), ...(views ? { views } : {}) },
    { logGroupArn: STEP_LOG_GROUP },
  );

describe("a view's materialization role", () => {
  it.each<[string, string, Context?]>([
    ["s3:GetObject", SOURCE],
    ["s3:GetObject", view("stock_prices", "manifest.json")],
    ["s3:ListBucket", BUCKETS.features, listing("views/stock_prices/manifest.json")],
    ["s3:PutObject", view("stock_prices", "manifest.json")],
    ["s3:PutObject", view("stock_prices", PARQUET)],
    [
      "dynamodb:BatchWriteItem",
      TABLES.features,
      keys("view:stock_prices#AAPL", "view:stock_prices#IBM"),
    ],
    ["kms:GenerateDataKey", KEY, via("s3")],
    ["kms:GenerateDataKey", KEY, via("dynamodb")],
  ])("may %s %s", async (action, resource, context) => {
    expect(await decide(materialize, action, resource, context)).toBe("Allowed");
  });

  it.each<[string, string, Context?]>([
    // Another view, including one whose name starts with this one's.
    ["s3:PutObject", view("customer_stats", "manifest.json")],
    ["s3:PutObject", view("stock_prices_v2", "manifest.json")],
    ["s3:GetObject", view("customer_stats", "manifest.json")],
    ["dynamodb:BatchWriteItem", TABLES.features, keys("view:customer_stats#42")],
    [
      "dynamodb:BatchWriteItem",
      TABLES.features,
      keys("view:stock_prices#AAPL", "stock-direction#7"),
    ],
    // Pipelines' data, the registry, reading items, deleting anything.
    ["s3:GetObject", `${BUCKETS.features}/stock-direction/datasets/9f.bin`],
    ["s3:GetObject", `${BUCKETS.raw}/stock-direction/ab.csv`],
    ["dynamodb:BatchGetItem", TABLES.features, keys("view:stock_prices#AAPL")],
    ["dynamodb:PutItem", TABLES.registry, keys("stock-direction")],
    ["s3:DeleteObject", view("stock_prices", "manifest.json")],
    ["kms:Decrypt", KEY],
  ])("may not %s %s", async (action, resource, context) => {
    expect(await decide(materialize, action, resource, context)).not.toBe("Allowed");
  });
});

describe("a pipeline consuming a view", () => {
  it("Ingest reads the consumed view's offline files, and nothing of other views", async () => {
    const ingest = consumer("ingest", ["stock_prices"]);
    expect(await decide(ingest, "s3:GetObject", view("stock_prices", "manifest.json"))).toBe(
      "Allowed",
    );
    expect(await decide(ingest, "s3:GetObject", view("stock_prices", PARQUET))).toBe("Allowed");
    expect(
      await decide(
        ingest,
        "s3:ListBucket",
        BUCKETS.features,
        listing("views/stock_prices/manifest.json"),
      ),
    ).toBe("Allowed");
    expect(await decide(ingest, "s3:GetObject", view("customer_stats", "manifest.json"))).not.toBe(
      "Allowed",
    );
    expect(await decide(ingest, "s3:GetObject", view("stock_prices_v2", "manifest.json"))).not.toBe(
      "Allowed",
    );
    expect(await decide(ingest, "s3:PutObject", view("stock_prices", "manifest.json"))).not.toBe(
      "Allowed",
    );
  });

  it("predict reads the consumed view's online items, and nothing of other views", async () => {
    const predict = consumer("predict", ["stock_prices"]);
    expect(
      await decide(
        predict,
        "dynamodb:BatchGetItem",
        TABLES.features,
        keys("view:stock_prices#AAPL"),
      ),
    ).toBe("Allowed");
    expect(
      await decide(
        predict,
        "dynamodb:BatchGetItem",
        TABLES.features,
        keys("view:customer_stats#42"),
      ),
    ).not.toBe("Allowed");
    expect(
      await decide(
        predict,
        "dynamodb:BatchWriteItem",
        TABLES.features,
        keys("view:stock_prices#AAPL"),
      ),
    ).not.toBe("Allowed");
    // Its own pipeline's rows stay readable.
    expect(
      await decide(predict, "dynamodb:BatchGetItem", TABLES.features, keys("stock-direction#7")),
    ).toBe("Allowed");
  });

  it("a pipeline without views reaches no view", async () => {
    expect(
      await decide(consumer("ingest"), "s3:GetObject", view("stock_prices", "manifest.json")),
    ).not.toBe("Allowed");
    expect(
      await decide(
        consumer("predict"),
        "dynamodb:BatchGetItem",
        TABLES.features,
        keys("view:stock_prices#AAPL"),
      ),
    ).not.toBe("Allowed");
  });

  it("refuses a view name that would widen a grant", () => {
    expect(() => consumer("ingest", ["stock*"])).toThrow(/views\[0\]/);
    expect(() =>
      materializePolicy({
        view: "a/b",
        featuresBucketArn: BUCKETS.features,
        featureTableArn: TABLES.features,
        keyArn: KEY,
        sourceObjectArns: [],
      }),
    ).toThrow(/views\[0\]/);
  });
});
