/**
 * The AWS-limit rules (infra/policy/limits.ts) against synthetic resources shaped like
 * @pulumi/aws v7 inputs: each passes a resource just within its limit and flags one just
 * beyond it.
 */
import { describe, expect, it } from "vitest";
import {
  accountUniqueNames,
  alarmMetricsLimit,
  collidingNames,
  ecsOverrideSize,
  FARGATE_TASK_SIZES,
  fargateTaskSize,
  lambdaEnvironmentSize,
  limitResourceRules,
  limitStackRules,
  managedPolicySize,
  nameLengths,
  policyChars,
  roleInlinePolicySize,
  roleManagedPolicyCount,
  stateMachineDefinitionSize,
  tagsPerResource,
  worstCaseOverrideChars,
} from "../../infra/policy/limits.ts";
import { allRules, type ResourceRule, type RuleResource } from "../../infra/policy/rules.ts";
import type { StackRule } from "../../infra/policy/types.ts";

type Props = Record<string, unknown>;
const res = (type: string, props: Props, extra: Partial<RuleResource> = {}): RuleResource => ({
  type,
  name: "r",
  props,
  ...extra,
});

function violations(rule: ResourceRule, r: RuleResource): string[] {
  const out: string[] = [];
  rule.validateResource(r, (m) => out.push(m));
  return out;
}

function stackViolations(rule: StackRule, resources: RuleResource[]): string[] {
  const out: string[] = [];
  rule.validateStack({ resources }, (m) => out.push(m));
  return out;
}

const T = {
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  dashboard: "aws:cloudwatch/dashboard:Dashboard",
  fn: "aws:lambda/function:Function",
  sfn: "aws:sfn/stateMachine:StateMachine",
  task: "aws:ecs/taskDefinition:TaskDefinition",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  policy: "aws:iam/policy:Policy",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  bucket: "aws:s3/bucket:Bucket",
  schedule: "aws:scheduler/schedule:Schedule",
};

const metric = (i: number) => ({
  id: `m${i}`,
  metric: {
    namespace: "AWS/Lambda",
    metricName: "Errors",
    dimensions: { FunctionName: `f${i}` },
    stat: "Sum",
    period: 300,
  },
});
const mathAlarm = (metrics: number) =>
  res(T.alarm, {
    metricQueries: [
      { id: "e", expression: "SUM(METRICS())", returnData: true },
      ...Array.from({ length: metrics }, (_, i) => metric(i)),
    ],
  });

/** A policy document of exactly `chars` non-whitespace characters. */
function documentOf(chars: number): string {
  const base = JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/" }],
  });
  const pad = chars - base.length;
  if (pad < 0) throw new Error(`a document needs at least ${base.length} characters`);
  return base.replace("arn:aws:s3:::b/", `arn:aws:s3:::b/${"k".repeat(pad)}`);
}

const env = (bytes: number) => {
  // {"A":"…"} is 8 bytes of JSON around the value.
  return res(T.fn, { environment: { variables: { A: "x".repeat(bytes - 8) } } });
};

const overrides = (value: Record<string, string>) => ({
  ContainerOverrides: [
    {
      Name: "step",
      Environment: [
        { Name: "ORCHARD_EVENT", ...value },
        { Name: "ORCHARD_TASK_TOKEN", "Value.$": "$$.Task.Token" },
      ],
    },
  ],
});
const ecsMachine = (override: unknown, nested = false) => {
  const task = {
    Type: "Task",
    Resource: "arn:aws:states:::ecs:runTask.waitForTaskToken",
    Parameters: { LaunchType: "FARGATE", Overrides: override },
    End: true,
  };
  const states = nested
    ? {
        Train: {
          Type: "Map",
          ItemProcessor: { StartAt: "TrainCandidate", States: { TrainCandidate: task } },
          End: true,
        },
      }
    : { Run: task };
  return res(T.sfn, {
    definition: JSON.stringify({ StartAt: Object.keys(states)[0], States: states }),
  });
};

/** A Pass names the key with `format`, then the task passes `$.ref.key` (cloud-definition.ts). */
const referencedInput = (format: string) => {
  const parsed = JSON.parse(
    String(ecsMachine(overrides({ "Value.$": "$.ref.key" })).props.definition),
  );
  parsed.StartAt = "Name";
  parsed.States.Name = {
    Type: "Pass",
    Parameters: { "key.$": format },
    ResultPath: "$.ref",
    Next: "Run",
  };
  return res(T.sfn, { definition: JSON.stringify(parsed) });
};

const fargate = (cpu: string, memory: string) =>
  res(T.task, { cpu, memory, requiresCompatibilities: ["FARGATE"], networkMode: "awsvpc" });

const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, "v"]));

const cases: {
  rule: ResourceRule;
  pass: [string, RuleResource][];
  fail: [string, RuleResource][];
}[] = [
  {
    rule: alarmMetricsLimit,
    pass: [
      ["10 metrics and an expression", mathAlarm(10)],
      ["a single-metric alarm", res(T.alarm, { metricName: "Errors", namespace: "AWS/Lambda" })],
    ],
    fail: [
      ["11 metrics", mathAlarm(11)],
      ["12 metrics (one per step)", mathAlarm(12)],
    ],
  },
  {
    rule: managedPolicySize,
    pass: [["6,144 characters", res(T.policy, { policy: documentOf(6144) })]],
    fail: [["6,145 characters", res(T.policy, { policy: documentOf(6145) })]],
  },
  {
    rule: lambdaEnvironmentSize,
    pass: [
      ["4,096 bytes", env(4096)],
      ["no environment", res(T.fn, {})],
    ],
    fail: [
      ["4,097 bytes", env(4097)],
      [
        "multi-byte characters counted as bytes",
        res(T.fn, { environment: { variables: { A: "é".repeat(2045) } } }),
      ],
    ],
  },
  {
    rule: stateMachineDefinitionSize,
    pass: [["1 MiB", res(T.sfn, { definition: "x".repeat(1024 * 1024) })]],
    fail: [["1 MiB + 1 byte", res(T.sfn, { definition: "x".repeat(1024 * 1024 + 1) })]],
  },
  {
    rule: ecsOverrideSize,
    pass: [
      [
        "a reference and the task token",
        ecsMachine(overrides({ Value: "s3://artifacts/p/state.json" })),
      ],
      ["the execution id", ecsMachine(overrides({ "Value.$": "$$.Execution.Id" }))],
      [
        "a key the definition formats from the execution name and a UUID",
        referencedInput(
          "States.Format('p/container-inputs/{}/{}.json', $$.Execution.Name, States.UUID())",
        ),
      ],
      [
        "a Lambda task",
        res(T.sfn, {
          definition: JSON.stringify({
            States: {
              A: { Type: "Task", Resource: "arn:aws:lambda:eu-west-1:123456789012:function:f" },
            },
          }),
        }),
      ],
    ],
    fail: [
      ["the whole state as JSON", ecsMachine(overrides({ "Value.$": "States.JsonToString($)" }))],
      ["a path into the state", ecsMachine(overrides({ "Value.$": "$.run.specUri" }))],
      [
        "a key formatted from a value of the state",
        referencedInput("States.Format('p/{}.json', $.run.pipeline)"),
      ],
      [
        "the state inside a Map's item processor",
        ecsMachine(overrides({ "Value.$": "States.JsonToString($)" }), true),
      ],
      ["9 KB of static overrides", ecsMachine(overrides({ Value: "x".repeat(9000) }))],
    ],
  },
  {
    rule: fargateTaskSize,
    pass: [
      ["256 / 512", fargate("256", "512")],
      ["1024 / 8192", fargate("1024", "8192")],
      ["4096 / 30720", fargate("4096", "30720")],
      ["8192 / 20480 (4 GB steps)", fargate("8192", "20480")],
      ["16384 / 122880", fargate("16384", "122880")],
      [
        "an EC2 task definition",
        res(T.task, { cpu: "100", memory: "300", requiresCompatibilities: ["EC2"] }),
      ],
    ],
    fail: [
      ["1024 / 2500 (not a step)", fargate("1024", "2500")],
      ["256 / 4096 (beyond the range)", fargate("256", "4096")],
      ["8192 / 18432 (not a 4 GB step)", fargate("8192", "18432")],
      ["cpu 1000", fargate("1000", "2048")],
    ],
  },
  {
    rule: nameLengths,
    pass: [
      ["function named with 64 characters", res(T.fn, { name: "f".repeat(64) })],
      ["function auto-named from 56 characters", res(T.fn, {}, { name: "f".repeat(56) })],
      ["role prefix of 38 characters", res(T.role, { namePrefix: "r".repeat(38) })],
      ["bucket auto-named from 55 characters", res(T.bucket, {}, { name: "b".repeat(55) })],
      ["state machine named with 80 characters", res(T.sfn, { name: "s".repeat(80) })],
      ["schedule auto-named from 56 characters", res(T.schedule, {}, { name: "s".repeat(56) })],
    ],
    fail: [
      ["function named with 65 characters", res(T.fn, { name: "f".repeat(65) })],
      ["function auto-named from 57 characters", res(T.fn, {}, { name: "f".repeat(57) })],
      ["role named with 65 characters", res(T.role, { name: "r".repeat(65) })],
      ["role prefix of 39 characters", res(T.role, { namePrefix: "r".repeat(39) })],
      ["bucket auto-named from 56 characters", res(T.bucket, {}, { name: "b".repeat(56) })],
      ["bucket prefix of 38 characters", res(T.bucket, { bucketPrefix: "b".repeat(38) })],
      ["state machine auto-named from 73 characters", res(T.sfn, {}, { name: "s".repeat(73) })],
      ["schedule named with 65 characters", res(T.schedule, { name: "s".repeat(65) })],
    ],
  },
  {
    rule: tagsPerResource,
    pass: [["50 tags", res(T.fn, { tags: tags(50) })]],
    fail: [["51 tags", res(T.role, { tags: tags(51) })]],
  },
];

describe.each(cases)("$rule.name", ({ rule, pass, fail }) => {
  it.each(pass)("passes: %s", (_, r) => {
    expect(violations(rule, r)).toEqual([]);
  });
  it.each(fail)("flags: %s", (_, r) => {
    expect(violations(rule, r).length).toBeGreaterThan(0);
  });
});

const role = (name: string, props: Props = {}) =>
  res(
    T.role,
    { name, arn: `arn:aws:iam::123456789012:role/${name}`, ...props },
    { name, id: name },
  );
const inline = (roleName: string, chars: number, i = 0) =>
  res(T.rolePolicy, { role: roleName, policy: documentOf(chars) }, { name: `${roleName}-p${i}` });
const attach = (roleName: string, i: number) =>
  res(T.attachment, { role: roleName, policyArn: `arn:aws:iam::123456789012:policy/p${i}` });

describe("role-inline-policy-size", () => {
  it("passes 10,240 characters spread over two policies and the role's own inline policy", () => {
    const resources = [
      role("a", { inlinePolicies: [{ name: "i", policy: documentOf(240) }] }),
      inline("a", 5000, 0),
      inline("a", 5000, 1),
      inline("other", 9000),
    ];
    expect(stackViolations(roleInlinePolicySize, resources)).toEqual([]);
  });

  it("flags 10,241 characters in aggregate, naming the role", () => {
    const found = stackViolations(roleInlinePolicySize, [
      role("a"),
      inline("a", 5000, 0),
      inline("a", 5241, 1),
    ]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/10241 characters .* 2 document/);
  });

  it("does not count whitespace", () => {
    const spaced = JSON.stringify(JSON.parse(documentOf(10_000)), null, 8);
    expect(policyChars(spaced)).toBe(10_000);
    expect(
      stackViolations(roleInlinePolicySize, [
        role("a"),
        res(T.rolePolicy, { role: "a", policy: spaced }),
      ]),
    ).toEqual([]);
  });
});

describe("role-managed-policy-count", () => {
  it("passes 10 attached policies", () => {
    const resources = [role("a"), ...Array.from({ length: 10 }, (_, i) => attach("a", i))];
    expect(stackViolations(roleManagedPolicyCount, resources)).toEqual([]);
  });

  it("flags 11, counting the role's managedPolicyArns too", () => {
    const resources = [
      role("a", { managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] }),
      ...Array.from({ length: 10 }, (_, i) => attach("a", i)),
    ];
    expect(stackViolations(roleManagedPolicyCount, resources)).toHaveLength(1);
  });
});

describe("account-unique-names", () => {
  const tagged = (stack: string) =>
    res(T.fn, { tags: { project: "orchard", stack, component: "x" } });
  const dashboard = (name: string) =>
    res(T.dashboard, { dashboardName: name, dashboardBody: "{}" });
  const alarm = (name: string) => res(T.alarm, { name });

  it("passes dashboard and alarm names that contain the stack", () => {
    expect(
      stackViolations(accountUniqueNames, [
        tagged("staging"),
        dashboard("orchard-staging-penguins"),
        alarm("orchard-staging-penguins-failed"),
        res(T.alarm, {}), // auto-named: unique by its random suffix
      ]),
    ).toEqual([]);
  });

  it("flags a dashboard named without its stack (staging and prod would overwrite it)", () => {
    const found = stackViolations(accountUniqueNames, [
      tagged("prod"),
      dashboard("orchard-penguins"),
    ]);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('"orchard-penguins" does not contain the stack name "prod"');
  });

  it("does not take a stack name inside another word for the stack", () => {
    const found = stackViolations(accountUniqueNames, [
      tagged("prod"),
      alarm("orchard-production-x"),
    ]);
    expect(found).toHaveLength(1);
  });

  it("flags two alarms of one stack with one name", () => {
    const found = stackViolations(accountUniqueNames, [
      tagged("prod"),
      alarm("orchard-prod-p-failed"),
      alarm("orchard-prod-p-failed"),
    ]);
    expect(found).toEqual([expect.stringContaining("Two alarms")]);
  });

  it("learns the stack from a URN when nothing is tagged", () => {
    const d = res(
      T.dashboard,
      { dashboardName: "orchard-penguins" },
      {
        urn: "urn:pulumi:staging::orchard::aws:cloudwatch/dashboard:Dashboard::d",
      },
    );
    expect(stackViolations(accountUniqueNames, [d])).toHaveLength(1);
  });

  it("collidingNames lists what two stacks would both claim", () => {
    const staging = [dashboard("orchard-penguins"), alarm("orchard-staging-p-failed")];
    const prod = [dashboard("orchard-penguins"), alarm("orchard-prod-p-failed")];
    expect(collidingNames(staging, prod)).toEqual(["dashboard orchard-penguins"]);
  });
});

describe("the limit rules", () => {
  it("are mandatory and part of every rule set the pack and synth use", () => {
    for (const rule of [...limitResourceRules, ...limitStackRules]) {
      expect(rule.enforcementLevel).toBe("mandatory");
      expect(allRules).toContain(rule);
    }
  });

  it("count a run-time value from the state as a whole state", () => {
    expect(worstCaseOverrideChars({ "Value.$": "$" })).toBeGreaterThan(256 * 1024);
    expect(worstCaseOverrideChars({ "Value.$": "$$.Task.Token" })).toBeLessThan(8192);
  });

  it("know every Fargate CPU size's memory range", () => {
    expect(Object.keys(FARGATE_TASK_SIZES).map(Number)).toEqual([
      256, 512, 1024, 2048, 4096, 8192, 16384,
    ]);
    expect(FARGATE_TASK_SIZES[2048]).toHaveLength(13);
    expect(FARGATE_TASK_SIZES[8192]).toEqual([
      16384, 20480, 24576, 28672, 32768, 36864, 40960, 45056, 49152, 53248, 57344, 61440,
    ]);
  });
});
