/**
 * The Step Functions calls `orchard cloud` makes, each wrapped so a failure becomes a named
 * error that says what to fix (`errors.ts`). Credentials come from the standard AWS SDK chain;
 * the region is the one in the ARN the call is about (a call must go to the resource's region),
 * else the SDK chain's (AWS_REGION, the profile).
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionOutput,
  type ExecutionListItem,
  type ExecutionStatus,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { awsCall } from "./errors.ts";
import { regionOfArn } from "./stack-outputs.ts";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const clients = new Map<string, SFNClient>();

/** One client per region for the life of the command. */
export function sfnClientFor(arn: string): SFNClient {
  const region = regionOfArn(arn) ?? "";
  let client = clients.get(region);
  if (!client) {
    client = new SFNClient(region ? { region } : {});
    clients.set(region, client);
  }
  return client;
}

export function destroySfnClients(): void {
  for (const client of clients.values()) client.destroy();
  clients.clear();
}

export async function startExecution(
  stateMachineArn: string,
  input: unknown,
  name?: string,
): Promise<{ executionArn: string; startDate: Date }> {
  const out = await awsCall({ action: "states:StartExecution", resource: stateMachineArn }, () =>
    sfnClientFor(stateMachineArn).send(
      new StartExecutionCommand({
        stateMachineArn,
        input: JSON.stringify(input),
        ...(name ? { name } : {}),
      }),
    ),
  );
  return { executionArn: out.executionArn ?? "", startDate: out.startDate ?? new Date() };
}

export function describeExecution(executionArn: string): Promise<DescribeExecutionOutput> {
  return awsCall({ action: "states:DescribeExecution", resource: executionArn }, () =>
    sfnClientFor(executionArn).send(new DescribeExecutionCommand({ executionArn })),
  );
}

/** Events after `afterId` in id order (the whole history for 0). Pages newest-first. */
export async function historySince(executionArn: string, afterId = 0): Promise<HistoryEvent[]> {
  const out: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await awsCall(
      { action: "states:GetExecutionHistory", resource: executionArn },
      () =>
        sfnClientFor(executionArn).send(
          new GetExecutionHistoryCommand({
            executionArn,
            reverseOrder: true,
            maxResults: 1000,
            includeExecutionData: false,
            ...(nextToken ? { nextToken } : {}),
          }),
        ),
    );
    const events = page.events ?? [];
    const fresh = events.filter((e) => (e.id ?? 0) > afterId);
    out.push(...fresh);
    // Newest first: once a page reaches events already seen, older pages hold only seen ones.
    nextToken = fresh.length < events.length ? undefined : page.nextToken;
  } while (nextToken);
  return out.sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
}

export async function redriveExecution(executionArn: string): Promise<{ redriveDate: Date }> {
  const out = await awsCall({ action: "states:RedriveExecution", resource: executionArn }, () =>
    sfnClientFor(executionArn).send(new RedriveExecutionCommand({ executionArn })),
  );
  return { redriveDate: out.redriveDate ?? new Date() };
}

export async function listExecutions(
  stateMachineArn: string,
  options: { status?: ExecutionStatus; max: number },
): Promise<ExecutionListItem[]> {
  const out: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await awsCall({ action: "states:ListExecutions", resource: stateMachineArn }, () =>
      sfnClientFor(stateMachineArn).send(
        new ListExecutionsCommand({
          stateMachineArn,
          maxResults: Math.min(options.max - out.length, 1000),
          ...(options.status ? { statusFilter: options.status } : {}),
          ...(nextToken ? { nextToken } : {}),
        }),
      ),
    );
    out.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken && out.length < options.max);
  return out.slice(0, options.max);
}

/** `arn:…:stateMachine:<sm>` + name → `arn:…:execution:<sm>:<name>`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
}

export function isExecutionArn(value: string): boolean {
  return /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(value);
}
