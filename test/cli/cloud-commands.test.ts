import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { HistoryEventLike } from "../../cli/cloud/history.ts";
import { main } from "../../cli/cloud/main.ts";

const FIXTURE = JSON.parse(
  readFileSync(new URL("../fixtures/cloud/failed-execution-history.json", import.meta.url), "utf8"),
) as { executionArn: string; stateMachineArn: string; events: HistoryEventLike[] };

const MACHINE = FIXTURE.stateMachineArn;
const EXECUTION = FIXTURE.executionArn;
const SPEC_URI = "s3://orchard-artifacts-4b5c6d7/penguins/specs/ab12.yaml";
const SOURCE_URI = "s3://orchard-raw-1a2b3c4/sources/penguins/penguins.csv";

/** The SDK returns Dates; the fixture holds ISO text. */
const EVENTS: HistoryEvent[] = FIXTURE.events.map((e) => ({
  ...e,
  timestamp: new Date(e.timestamp as string),
}));

const sfn = mockClient(SFNClient);
let dir: string;
let out: string[];
let err: string[];

function outputsFile(values: unknown): string {
  const file = join(dir, `outputs-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(values));
  return file;
}

const STAGING = () =>
  outputsFile({
    artifactsBucket: "orchard-artifacts-4b5c6d7",
    pipelines: {
      penguins: { stateMachineArn: MACHINE, specUri: SPEC_URI, sourceUri: SOURCE_URI },
    },
  });

async function orchard(...argv: string[]) {
  out = [];
  err = [];
  const code = await main(argv);
  return { code, stdout: out.join(""), stderr: err.join("") };
}

/**
 * Serves the history like Step Functions: newest first (reverseOrder), pages of `pageSize`,
 * revealing `reveal[i]` events on the i-th poll (the last count stays for later polls).
 */
function serveHistory(events: HistoryEvent[], reveal: number[], pageSize = 1000) {
  let poll = 0;
  sfn.on(GetExecutionHistoryCommand).callsFake((input) => {
    const visible = events.slice(0, reveal[Math.min(poll, reveal.length - 1)]);
    const newest = [...visible].reverse();
    const offset = input.nextToken ? Number(input.nextToken) : 0;
    const page = newest.slice(offset, offset + Math.min(pageSize, input.maxResults ?? 1000));
    const more = offset + page.length < newest.length;
    if (!more) poll++;
    return { events: page, ...(more ? { nextToken: String(offset + page.length) } : {}) };
  });
}

function describeAs(status: string, extra: Record<string, unknown> = {}) {
  sfn.on(DescribeExecutionCommand).resolves({
    executionArn: EXECUTION,
    stateMachineArn: MACHINE,
    name: "adhoc-20250314-0900",
    status: status as "FAILED",
    startDate: EVENTS[0].timestamp,
    ...(status === "RUNNING" ? {} : { stopDate: EVENTS.at(-1)?.timestamp }),
    ...extra,
  });
}

beforeEach(() => {
  sfn.reset();
  dir = mkdtempSync(join(tmpdir(), "orchard-cloud-"));
  vi.spyOn(process.stdout, "write").mockImplementation((s) => out.push(String(s)) > 0);
  vi.spyOn(process.stderr, "write").mockImplementation((s) => err.push(String(s)) > 0);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("orchard cloud run", () => {
  beforeEach(() => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
  });

  it("starts the stack's state machine with the scheduled input", async () => {
    const { code, stdout } = await orchard("run", "penguins", "--outputs", STAGING());
    expect(code).toBe(0);
    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input.stateMachineArn).toBe(MACHINE);
    expect(JSON.parse(calls[0].args[0].input.input ?? "")).toEqual({
      run: { pipeline: "penguins", specUri: SPEC_URI, sourceUri: SOURCE_URI },
    });
    expect(calls[0].args[0].input.name).toBeUndefined();
    expect(stdout).toContain(`Started ${EXECUTION}`);
  });

  it.each([
    [["--input", "s3://other/data/new.csv"], { sourceUri: "s3://other/data/new.csv" }],
    [["--name", "retrain-1"], {}],
  ])("%j changes only what it names", async (extra, runChanges) => {
    await orchard("run", "penguins", "--outputs", STAGING(), ...extra);
    const input = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(JSON.parse(input.input ?? "")).toEqual({
      run: { pipeline: "penguins", specUri: SPEC_URI, sourceUri: SOURCE_URI, ...runChanges },
    });
    expect(input.name).toBe(extra[0] === "--name" ? extra[1] : undefined);
  });

  it("carries the pipeline's batchUri output into the input, as the schedule does", async () => {
    const batchUri = "s3://orchard-raw-1a2b/penguins/batch/";
    const outputs = outputsFile({
      pipelines: {
        penguins: { stateMachineArn: MACHINE, specUri: SPEC_URI, sourceUri: SOURCE_URI, batchUri },
      },
    });
    await orchard("run", "penguins", "--outputs", outputs, "--input", "s3://other/data/new.csv");
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input ?? "");
    expect(input).toEqual({
      run: {
        pipeline: "penguins",
        specUri: SPEC_URI,
        sourceUri: "s3://other/data/new.csv",
        batchUri,
      },
    });
  });

  it("merges an --input JSON file over the scheduled input", async () => {
    const file = join(dir, "input.json");
    writeFileSync(file, JSON.stringify({ run: { sourceUri: "s3://b/k.csv" }, note: "ad hoc" }));
    await orchard("run", "penguins", "--outputs", STAGING(), "--input", file);
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input ?? "");
    expect(input).toEqual({
      run: { pipeline: "penguins", specUri: SPEC_URI, sourceUri: "s3://b/k.csv" },
      note: "ad hoc",
    });
  });

  it("--wait follows the history until the end and exits 1 naming the failed state", async () => {
    serveHistory(EVENTS, [5, 30, EVENTS.length]);
    describeAs("FAILED");
    const { code, stdout, stderr } = await orchard(
      "run",
      "penguins",
      "--outputs",
      STAGING(),
      "--wait",
      "--poll-seconds",
      "0",
    );
    expect(code).toBe(1);
    expect(stderr).toContain("orchard: Preprocess attempt 1 failed (StorageUnavailableError)");
    expect(stderr).toMatch(/orchard cloud run: Evaluate failed: ArtifactError: The object at/);
    expect(stdout).toContain("Pipeline penguins: FAILED");
    const history = sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input);
    expect(history.length).toBeGreaterThanOrEqual(3);
    for (const input of history) {
      expect(input).toMatchObject({ executionArn: EXECUTION, reverseOrder: true });
    }
    expect(sfn.commandCalls(DescribeExecutionCommand)[0].args[0].input).toEqual({
      executionArn: EXECUTION,
    });
  });

  it("--wait --json reports the model of a successful run and exits 0", async () => {
    const ok = EVENTS.slice(0, 5).concat({
      id: 6,
      previousEventId: 5,
      type: "ExecutionSucceeded",
      timestamp: new Date(),
    });
    serveHistory(ok, [ok.length]);
    describeAs("SUCCEEDED", {
      output: JSON.stringify({ evaluate: { version: "v7" }, promote: { promoted: true } }),
    });
    const { code, stdout } = await orchard(
      "run",
      "penguins",
      "--outputs",
      STAGING(),
      "--wait",
      "--json",
      "--no-progress",
      "--poll-seconds",
      "0",
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      pipeline: "penguins",
      status: "SUCCEEDED",
      executionArn: EXECUTION,
      promoted: true,
      modelVersion: "v7",
      error: null,
    });
  });

  it("reads only new events on later polls, across pages", async () => {
    serveHistory(EVENTS, [20, EVENTS.length], 7);
    describeAs("FAILED");
    await orchard("run", "penguins", "--outputs", STAGING(), "--wait", "--poll-seconds", "0");
    const tokens = sfn
      .commandCalls(GetExecutionHistoryCommand)
      .map((c) => c.args[0].input.nextToken);
    // First poll: 20 events in pages of 7 (3 calls); second poll stops paging at seen events.
    expect(tokens.slice(0, 3)).toEqual([undefined, "7", "14"]);
    expect(tokens.length).toBeLessThan(3 + Math.ceil(EVENTS.length / 7));
  });
});

describe("orchard cloud status, history, logs", () => {
  beforeEach(() => {
    serveHistory(EVENTS, [EVENTS.length]);
    describeAs("FAILED");
  });

  it("status exits 1 for a failed execution and names the failing state", async () => {
    const { code, stdout } = await orchard("status", EXECUTION);
    expect(code).toBe(1);
    expect(stdout).toContain("Execution adhoc-20250314-0900: FAILED");
    expect(stdout).toMatch(/failed in {6}Evaluate: ArtifactError: The object at/);
    expect(stdout).toContain("console.aws.amazon.com/states/home?region=eu-west-1");
    expect(sfn.commandCalls(DescribeExecutionCommand)[0].args[0].input.executionArn).toBe(
      EXECUTION,
    );
  });

  it("status of a running execution exits 0 and says what runs", async () => {
    sfn.reset();
    serveHistory(EVENTS.slice(0, 40), [40]);
    describeAs("RUNNING");
    const { code, stdout } = await orchard("status", EXECUTION, "--json");
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ status: "RUNNING", running: [{ state: "Select" }] });
  });

  it("an execution name resolves through the pipeline's state machine", async () => {
    await orchard(
      "status",
      "adhoc-20250314-0900",
      "--pipeline",
      "penguins",
      "--outputs",
      STAGING(),
    );
    expect(sfn.commandCalls(DescribeExecutionCommand)[0].args[0].input.executionArn).toBe(
      EXECUTION,
    );
  });

  it("history --json has every state with duration, attempts and error", async () => {
    const { code, stdout } = await orchard("history", EXECUTION, "--json");
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout);
    expect(parsed.states.map((s: { state: string }) => s.state)).toContain("TrainCandidate");
    expect(parsed.states.find((s: { state: string }) => s.state === "Preprocess")).toMatchObject({
      status: "RETRIED",
      attempts: 2,
    });
    expect(parsed.error).toMatchObject({ state: "Evaluate", name: "ArtifactError" });
  });

  it("logs uses the log groups of the stack outputs when given", async () => {
    const outputs = outputsFile({
      pipelines: { penguins: { stateMachineArn: MACHINE, logGroups: { evaluate: "/o/eval" } } },
    });
    const { code, stdout } = await orchard("logs", EXECUTION, "--outputs", outputs, "--json");
    expect(code).toBe(0);
    const links = JSON.parse(stdout).links as { state: string; logGroup: string }[];
    expect(links.find((l) => l.state === "Evaluate")?.logGroup).toBe("/o/eval");
    expect(links.find((l) => l.state === "Ingest")?.logGroup).toMatch(/^\/aws\/lambda\//);
  });
});

describe("orchard cloud redrive and list", () => {
  it("redrive calls RedriveExecution and, with --wait, follows the redriven run", async () => {
    const redriven: HistoryEvent[] = [
      ...EVENTS,
      { id: 54, previousEventId: 53, type: "ExecutionRedriven", timestamp: new Date() },
      {
        id: 55,
        previousEventId: 54,
        type: "TaskStateEntered",
        timestamp: new Date(),
        stateEnteredEventDetails: { name: "Evaluate" },
      },
      {
        id: 56,
        previousEventId: 55,
        type: "TaskStateExited",
        timestamp: new Date(),
        stateExitedEventDetails: { name: "Evaluate" },
      },
      { id: 57, previousEventId: 56, type: "ExecutionSucceeded", timestamp: new Date() },
    ];
    // The first poll still shows the old ending: following must not stop there.
    serveHistory(redriven, [EVENTS.length, redriven.length]);
    sfn.on(RedriveExecutionCommand).resolves({ redriveDate: new Date() });
    describeAs("SUCCEEDED", { redriveCount: 0 });
    const { code } = await orchard("redrive", EXECUTION, "--wait", "--poll-seconds", "0");
    expect(code).toBe(0);
    expect(sfn.commandCalls(RedriveExecutionCommand)[0].args[0].input).toEqual({
      executionArn: EXECUTION,
    });
    expect(sfn.commandCalls(GetExecutionHistoryCommand).length).toBeGreaterThanOrEqual(2);
  });

  it("list passes the state machine, status filter and limit", async () => {
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: EXECUTION,
          stateMachineArn: MACHINE,
          name: "adhoc-20250314-0900",
          status: "FAILED",
          startDate: new Date("2025-03-14T09:00:00Z"),
          stopDate: new Date("2025-03-14T09:00:30Z"),
        },
      ],
    });
    const { code, stdout } = await orchard(
      "list",
      "penguins",
      "--outputs",
      STAGING(),
      "--status",
      "failed",
      "--max",
      "5",
    );
    expect(code).toBe(0);
    expect(sfn.commandCalls(ListExecutionsCommand)[0].args[0].input).toEqual({
      stateMachineArn: MACHINE,
      statusFilter: "FAILED",
      maxResults: 5,
    });
    expect(stdout).toMatch(/adhoc-20250314-0900\s+FAILED\s+2025-03-14T09:00:00Z/);
  });
});

describe("errors say what to fix", () => {
  const named = (name: string, message: string, status?: number) =>
    Object.assign(new Error(message), {
      name,
      ...(status ? { $metadata: { httpStatusCode: status } } : {}),
    });

  it("missing credentials: exit 1 and how to configure them", async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(named("CredentialsProviderError", "Could not load credentials from any providers"));
    const { code, stderr } = await orchard("run", "penguins", "--outputs", STAGING());
    expect(code).toBe(1);
    expect(stderr).toContain("CloudCredentialsError: No AWS credentials were found");
    expect(stderr).toContain("aws configure");
    expect(stderr).toContain("AWS_PROFILE");
  });

  it("expired credentials: says to refresh them", async () => {
    sfn.on(DescribeExecutionCommand).rejects(named("ExpiredTokenException", "token expired", 400));
    serveHistory(EVENTS, [EVENTS.length]);
    const { code, stderr } = await orchard("status", EXECUTION);
    expect(code).toBe(1);
    expect(stderr).toMatch(/CloudCredentialsError: .*expired or invalid: refresh them/);
  });

  it.each([
    ["run", ["run", "penguins"], StartExecutionCommand, "states:StartExecution", MACHINE],
    ["list", ["list", "penguins"], ListExecutionsCommand, "states:ListExecutions", MACHINE],
  ])(
    "AccessDenied on %s names the action and the resource",
    async (_, argv, command, action, arn) => {
      sfn
        .on(command as typeof StartExecutionCommand)
        .rejects(
          named(
            "AccessDeniedException",
            "User: arn:aws:sts::1:assumed-role/dev is not authorized",
            400,
          ),
        );
      const { code, stderr } = await orchard(...argv, "--outputs", STAGING());
      expect(code).toBe(1);
      expect(stderr).toContain("CloudAccessDeniedError");
      expect(stderr).toContain(`${action} on ${arn}`);
      expect(stderr).toContain("Assume a role that allows");
    },
  );

  it("AccessDenied on redrive names states:RedriveExecution", async () => {
    sfn.on(DescribeExecutionCommand).resolves({ redriveCount: 0 });
    sfn.on(RedriveExecutionCommand).rejects(named("AccessDeniedException", "denied", 400));
    const { code, stderr } = await orchard("redrive", EXECUTION);
    expect(code).toBe(1);
    expect(stderr).toContain(`states:RedriveExecution on ${EXECUTION}`);
  });

  it("execution not found: exit 1, points at cloud list", async () => {
    sfn
      .on(GetExecutionHistoryCommand)
      .rejects(named("ExecutionDoesNotExist", "Execution Does Not Exist", 400));
    sfn
      .on(DescribeExecutionCommand)
      .rejects(named("ExecutionDoesNotExist", "Execution Does Not Exist", 400));
    const { code, stderr } = await orchard("history", EXECUTION);
    expect(code).toBe(1);
    expect(stderr).toContain(`ExecutionNotFoundError: No execution ${EXECUTION}`);
    expect(stderr).toContain("orchard cloud list");
  });

  it("a redrive Step Functions refuses says which executions can be redriven", async () => {
    sfn.on(DescribeExecutionCommand).resolves({ redriveCount: 0 });
    sfn
      .on(RedriveExecutionCommand)
      .rejects(named("ExecutionNotRedrivable", "Execution is SUCCEEDED", 400));
    const { code, stderr } = await orchard("redrive", EXECUTION);
    expect(code).toBe(1);
    expect(stderr).toMatch(/ExecutionNotRedrivableError: .*Only executions that FAILED/);
  });

  it.each([
    [{}, "pipelines"],
    [{ pipelines: { penguins: {} } }, "pipelines.penguins.stateMachineArn"],
    [{ pipelines: { penguins: { stateMachineArn: MACHINE } } }, "pipelines.penguins.specUri"],
  ])("missing stack output %#: exit 1 naming it, no call made", async (outputs, name) => {
    const { code, stderr } = await orchard("run", "penguins", "--outputs", outputsFile(outputs));
    expect(code).toBe(1);
    expect(stderr).toContain("StackOutputsError");
    expect(stderr).toContain(`"${name}"`);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it("an unknown pipeline lists the deployed ones", async () => {
    const { code, stderr } = await orchard("run", "churn", "--outputs", STAGING());
    expect(code).toBe(1);
    expect(stderr).toContain('no pipeline "churn" (deployed: penguins)');
  });

  it("a stack without exported outputs says how to export them", async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const { code, stderr } = await orchard("list", "penguins", "--stack", "qa");
      expect(code).toBe(1);
      expect(stderr).toContain("pulumi stack output --json -s qa >");
      expect(stderr).toContain(join("stacks", "outputs", "qa.json"));
    } finally {
      process.chdir(cwd);
    }
  });

  it.each([
    [["run", "penguins"], "pass --stack NAME or --outputs FILE"],
    [["run"], "expected one pipeline name"],
    [["status", "adhoc-1"], "is an execution name"],
    [["list", "penguins", "--stack", "s", "--status", "LOST"], "--status must be one of"],
    [["frobnicate"], 'unknown subcommand "frobnicate"'],
    [["history", EXECUTION, "--wait"], "--wait is for status"],
  ])("usage error %j exits 2", async (argv, message) => {
    const { code, stderr } = await orchard(...argv);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});
