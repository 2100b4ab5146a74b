/** Stack config: every value checked, every error naming its key, documented defaults. */
import { describe, expect, it } from "vitest";
import {
  type ConfigValues,
  DEFAULTS,
  FUNCTION_KEYS,
  fargateMemoryChoices,
  PROJECT_ROOT,
  parseConfig,
  STEP_DEFAULTS,
} from "../../infra/config.ts";
import { checkScheduleOutsideDstGap, dstGaps } from "../../infra/config-values.ts";
import { InfraConfigError } from "../../infra/errors.ts";
import { readStackFile, stackConfigValues } from "../../infra/stack-file.ts";

const context = { project: "orchard", stack: "test", rootDir: "/repo" };
const MINIMAL: ConfigValues = {
  "aws:region": "eu-west-1",
  "orchard:pipelines": JSON.stringify([{ spec: "examples/penguins/pipeline.yaml" }]),
};

function parse(overrides: ConfigValues) {
  const values = { ...MINIMAL, ...overrides };
  for (const [k, v] of Object.entries(values)) if (v === undefined) delete values[k];
  return parseConfig(values, context);
}

function errorOf(overrides: ConfigValues): InfraConfigError {
  try {
    parse(overrides);
  } catch (err) {
    if (err instanceof InfraConfigError) return err;
    throw err;
  }
  throw new Error("expected an InfraConfigError");
}

describe("parseConfig", () => {
  it("applies the documented defaults to a minimal config", () => {
    const config = parse({});
    expect(config).toMatchObject({
      region: "eu-west-1",
      logRetentionDays: DEFAULTS.logRetentionDays,
      shardObjectDays: 7,
      protect: false,
      logExecutionData: true,
      codeDir: "/repo/dist/lambdas",
    });
    expect(config.alarmEmail).toBeUndefined();
    expect(config.pipelines).toEqual([
      {
        spec: "examples/penguins/pipeline.yaml",
        specFile: "/repo/examples/penguins/pipeline.yaml",
        key: "orchard:pipelines[0]",
        schedule: DEFAULTS.schedule,
        timeZone: "UTC",
        uploadSource: false,
        enabled: true,
      },
    ]);
    for (const step of FUNCTION_KEYS) {
      expect(config.steps[step]).toEqual({ compute: "lambda", ...STEP_DEFAULTS[step], cpu: 0 });
    }
  });

  it("gives a pipeline the stack's time zone unless it sets its own", () => {
    const config = parse({
      "orchard:timeZone": "Europe/Berlin",
      "orchard:pipelines": JSON.stringify([
        { spec: "a.yaml" },
        { spec: "b.yaml", timeZone: "Asia/Tokyo", schedule: "rate(6 hours)" },
      ]),
    });
    expect(config.pipelines.map((p) => [p.timeZone, p.schedule])).toEqual([
      ["Europe/Berlin", DEFAULTS.schedule],
      ["Asia/Tokyo", "rate(6 hours)"],
    ]);
  });

  it.each(["s3://scoring-bucket", "s3://scoring-bucket/", "s3://scoring-bucket/penguins/daily/"])(
    "reads the batch override %s as given",
    (batchUri) => {
      const config = parse({ "orchard:pipelines": JSON.stringify([{ spec: "a.yaml", batchUri }]) });
      expect(config.pipelines[0].batchUri).toBe(batchUri);
    },
  );

  it("reads a container step with its Fargate size and the container settings", () => {
    const config = parse({
      "orchard:steps": JSON.stringify({
        train: { compute: "container", cpu: 2048, memoryMb: 8192 },
      }),
      "orchard:container": JSON.stringify({
        image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/orchard:1",
        subnets: ["subnet-0abc"],
        securityGroups: ["sg-0abc"],
      }),
    });
    expect(config.steps.train).toEqual({
      compute: "container",
      cpu: 2048,
      memoryMb: 8192,
      timeoutSeconds: 3600,
    });
    expect(config.container?.assignPublicIp).toBe(false);
  });

  it.each<[string, ConfigValues, string]>([
    ["no region", { "aws:region": undefined }, "aws:region"],
    ["a malformed region", { "aws:region": "Europe" }, "aws:region"],
    ["no pipelines", { "orchard:pipelines": undefined }, "orchard:pipelines"],
    ["an empty pipeline list", { "orchard:pipelines": "[]" }, "orchard:pipelines"],
    [
      "a pipeline without a spec",
      { "orchard:pipelines": '[{"schedule":"rate(1 day)"}]' },
      "orchard:pipelines[0].spec",
    ],
    [
      "the same spec twice",
      { "orchard:pipelines": '["a.yaml","./a.yaml"]' },
      "orchard:pipelines[1].spec",
    ],
    [
      "a bad schedule",
      { "orchard:pipelines": '[{"spec":"a.yaml","schedule":"daily"}]' },
      "orchard:pipelines[0].schedule",
    ],
    ["an unknown time zone", { "orchard:timeZone": "Mars/Olympus" }, "orchard:timeZone"],
    [
      "an unknown pipeline time zone",
      { "orchard:pipelines": '[{"spec":"a.yaml","timeZone":"CET+25"}]' },
      "orchard:pipelines[0].timeZone",
    ],
    [
      "a non-S3 source override",
      { "orchard:pipelines": '[{"spec":"a.yaml","sourceUri":"https://x/y.csv"}]' },
      "orchard:pipelines[0].sourceUri",
    ],
    [
      "a batch override that is an object URL, not an S3 prefix",
      { "orchard:pipelines": '[{"spec":"a.yaml","batchUri":"https://x/scores/"}]' },
      "orchard:pipelines[0].batchUri",
    ],
    [
      "a batch override that is a local directory",
      { "orchard:pipelines": '[{"spec":"a.yaml","batchUri":"batch/"}]' },
      "orchard:pipelines[0].batchUri",
    ],
    [
      "a batch override with an IAM pattern character",
      { "orchard:pipelines": '[{"spec":"a.yaml","batchUri":"s3://bkt/scores/*/"}]' },
      "orchard:pipelines[0].batchUri",
    ],
    [
      "a batch override with an invalid bucket name",
      { "orchard:pipelines": '[{"spec":"a.yaml","batchUri":"s3://Scoring_Bucket/"}]' },
      "orchard:pipelines[0].batchUri",
    ],
    [
      "both a source override and an upload",
      {
        "orchard:pipelines": '[{"spec":"a.yaml","sourceUri":"s3://bkt/a.csv","uploadSource":true}]',
      },
      "orchard:pipelines[0].uploadSource",
    ],
    [
      "a typo in a pipeline key",
      { "orchard:pipelines": '[{"spec":"a.yaml","shedule":"rate(1 day)"}]' },
      "orchard:pipelines[0].shedule",
    ],
    [
      "a retention CloudWatch does not offer",
      { "orchard:logRetentionDays": "10" },
      "orchard:logRetentionDays",
    ],
    [
      "shard objects kept no day at all",
      { "orchard:shardObjectDays": "0" },
      "orchard:shardObjectDays",
    ],
    [
      "shard objects kept a fraction of a day",
      { "orchard:shardObjectDays": "1.5" },
      "orchard:shardObjectDays",
    ],
    ["protect that is not a boolean", { "orchard:protect": "yes" }, "orchard:protect"],
    ["an alarm e-mail that is not one", { "orchard:alarmEmail": "oncall" }, "orchard:alarmEmail"],
    ["an unknown step", { "orchard:steps": '{"trian":{}}' }, "orchard:steps.trian"],
    [
      "Lambda memory over 10 GB",
      { "orchard:steps": '{"train":{"memoryMb":20000}}' },
      "orchard:steps.train.memoryMb",
    ],
    [
      "a Lambda timeout over 15 minutes",
      { "orchard:steps": '{"train":{"timeoutSeconds":1200}}' },
      "orchard:steps.train.timeoutSeconds",
    ],
    [
      "an unknown compute",
      { "orchard:steps": '{"train":{"compute":"gpu"}}' },
      "orchard:steps.train.compute",
    ],
    [
      "predict in a container",
      { "orchard:steps": '{"predict":{"compute":"container"}}' },
      "orchard:steps.predict.compute",
    ],
    [
      "report in a container",
      { "orchard:steps": '{"report":{"compute":"container"}}' },
      "orchard:steps.report.compute",
    ],
    [
      "notifyFailure in a container",
      { "orchard:steps": '{"notifyFailure":{"compute":"container"}}' },
      "orchard:steps.notifyFailure.compute",
    ],
    [
      "a Fargate CPU that does not exist",
      {
        "orchard:steps": '{"train":{"compute":"container","cpu":3000}}',
        "orchard:container": '{"image":"i","subnets":["subnet-1"],"securityGroups":["sg-1"]}',
      },
      "orchard:steps.train.cpu",
    ],
    [
      "a Fargate memory that is not one of the CPU size's steps",
      {
        "orchard:steps": '{"train":{"compute":"container","cpu":2048,"memoryMb":5000}}',
        "orchard:container": '{"image":"i","subnets":["subnet-1"],"securityGroups":["sg-1"]}',
      },
      "orchard:steps.train.memoryMb",
    ],
    [
      "a Fargate memory off the 4096-MiB steps of 8 vCPU",
      {
        "orchard:steps": '{"train":{"compute":"container","cpu":8192,"memoryMb":17408}}',
        "orchard:container": '{"image":"i","subnets":["subnet-1"],"securityGroups":["sg-1"]}',
      },
      "orchard:steps.train.memoryMb",
    ],
    [
      "a nightly run in America/New_York's spring-forward gap (EventBridge Scheduler skips it)",
      {
        "orchard:pipelines":
          '[{"spec":"examples/penguins/pipeline.yaml","schedule":"cron(30 2 * * ? *)","timeZone":"America/New_York"}]',
      },
      "orchard:pipelines[0].schedule",
    ],
    [
      "a run in the stack time zone's gap (Europe/Helsinki jumps from 03:00 to 04:00)",
      {
        "orchard:pipelines": '[{"spec":"examples/penguins/pipeline.yaml"}]',
        "orchard:timeZone": "Europe/Helsinki",
      },
      "orchard:pipelines[0].schedule",
    ],
    [
      "a container step without container settings",
      { "orchard:steps": '{"train":{"compute":"container"}}' },
      "orchard:container",
    ],
    [
      "container settings without subnets",
      { "orchard:container": '{"image":"i","subnets":[],"securityGroups":["sg-1"]}' },
      "orchard:container.subnets",
    ],
    ["an unknown Orchard key", { "orchard:logRetention": "14" }, "orchard:logRetention"],
    ["structured config written as text", { "orchard:steps": "train=4096" }, "orchard:steps"],
  ])("refuses %s, naming the key", (_, overrides, key) => {
    const err = errorOf(overrides);
    expect(err.location.path).toBe(key);
    expect(err.message).toContain(`Config ${key} `);
  });

  it("names the memories Fargate allows for the CPU size", () => {
    expect(
      errorOf({
        "orchard:steps": '{"train":{"compute":"container","cpu":256,"memoryMb":1536}}',
        "orchard:container": '{"image":"i","subnets":["subnet-1"],"securityGroups":["sg-1"]}',
      }).message,
    ).toContain("use one of 512, 1024, 2048 (MiB)");
  });

  it("suggests the key a typo meant", () => {
    expect(errorOf({ "orchard:logRetention": "14" }).message).toContain(
      'Did you mean "logRetentionDays"?',
    );
  });
});

describe("stack files", () => {
  it("turns structured values into JSON text and scalars into text, as Pulumi passes them", () => {
    const values = stackConfigValues(
      "config:\n  aws:region: eu-west-1\n  orchard:protect: true\n  orchard:logRetentionDays: 14\n  orchard:steps:\n    train: { memoryMb: 4096 }\n",
    );
    expect(values).toEqual({
      "aws:region": "eu-west-1",
      "orchard:protect": "true",
      "orchard:logRetentionDays": "14",
      "orchard:steps": '{"train":{"memoryMb":4096}}',
    });
  });

  it.each([
    ["staging", { protect: false, logExecutionData: true, logRetentionDays: 14 }],
    ["prod", { protect: true, logExecutionData: false, logRetentionDays: 365 }],
  ])("the %s stack file is valid config", (stack, expected) => {
    const config = parseConfig(readStackFile(PROJECT_ROOT, stack), {
      project: "orchard",
      stack,
      rootDir: PROJECT_ROOT,
    });
    expect(config).toMatchObject(expected);
  });

  it("differs between staging and prod in protection, retention, schedule, execution data and alarm e-mail", () => {
    const [staging, prod] = ["staging", "prod"].map((stack) =>
      parseConfig(readStackFile(PROJECT_ROOT, stack), {
        project: "orchard",
        stack,
        rootDir: PROJECT_ROOT,
      }),
    );
    expect(staging.protect).not.toBe(prod.protect);
    expect(staging.logRetentionDays).toBeLessThan(prod.logRetentionDays);
    expect(staging.pipelines[0].schedule).not.toBe(prod.pipelines[0].schedule);
    expect(staging.logExecutionData).not.toBe(prod.logExecutionData);
    expect([staging.alarmEmail, prod.alarmEmail]).toEqual([undefined, "ml-oncall@example.com"]);
  });
});

describe("fargateMemoryChoices", () => {
  // Amazon ECS Developer Guide, "Task CPU and memory" (Fargate).
  it.each([
    [256, [512, 1024, 2048]],
    [512, [1024, 2048, 3072, 4096]],
    [1024, [2048, 3072, 4096, 5120, 6144, 7168, 8192]],
  ])("with cpu %i is %j", (cpu, memories) => {
    expect(fargateMemoryChoices(cpu)).toEqual(memories);
  });

  it.each([
    [2048, 4096, 16384, 13],
    [4096, 8192, 30720, 23],
    [8192, 16384, 61440, 12],
    [16384, 32768, 122880, 12],
  ])("with cpu %i runs from %i to %i MiB in %i steps", (cpu, min, max, count) => {
    const choices = fargateMemoryChoices(cpu);
    expect([choices[0], choices.at(-1), choices.length]).toEqual([min, max, count]);
  });
});

describe("schedules and daylight saving time", () => {
  it.each([
    ["America/New_York", [[120, 180]]],
    ["Europe/Berlin", [[120, 180]]],
    ["Australia/Lord_Howe", [[120, 150]]],
    ["UTC", []],
    ["Asia/Tokyo", []],
  ])("%s skips the local times %j (minutes after midnight) when DST starts", (zone, gaps) => {
    expect(dstGaps(zone, [2026])).toEqual(gaps);
  });

  it.each([
    ["cron(0 4 * * ? *)", "America/New_York"],
    ["cron(0 2 * * ? *)", "UTC"],
    ["cron(0 2 * * ? *)", "Asia/Tokyo"],
    ["cron(0 * * * ? *)", "America/New_York"],
    ["rate(1 day)", "America/New_York"],
    ["cron(0 6 ? * MON-FRI *)", "Europe/Berlin"],
  ])("accepts %s in %s", (expression, zone) => {
    expect(() => checkScheduleOutsideDstGap("k", expression, zone, [2026])).not.toThrow();
  });

  it.each([
    ["cron(0 2 * * ? *)", "America/New_York"],
    ["cron(59 2 * * ? *)", "Europe/Berlin"],
    ["cron(0 1,2 * * ? *)", "Europe/Berlin"],
    ["cron(15 1-3 * * ? *)", "America/New_York"],
  ])("refuses %s in %s, saying what to pick", (expression, zone) => {
    expect(() => checkScheduleOutsideDstGap("k", expression, zone, [2026])).toThrow(
      /does not exist on the day daylight saving time starts.*Pick a time outside 02:00–03:00/,
    );
  });
});
