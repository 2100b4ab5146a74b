/**
 * The deployed IAM, enforced in front of the embedded S3 (s3rver) and DynamoDB (dynalite).
 *
 * s3rver and dynalite accept every call; AWS checks each one against the caller's role. This
 * layer closes that gap for the test suite: every storage client the code creates
 * (`createStorageClients`, through `setStorageClientHook`) gets a middleware that maps each
 * command to the IAM request(s) AWS would authorize — action, resource ARN and the context keys
 * S3/DynamoDB put in it (`s3:prefix`, `s3:if-none-match`, `s3:ObjectCreationOperation`,
 * `dynamodb:LeadingKeys`, and the KMS calls S3 and DynamoDB make for the caller under
 * `kms:ViaService`) — and asks the IAM simulator (@cloud-copilot/iam-simulate, AGPL: a dev
 * dependency, imported only from test/) whether the policy of the calling role allows it. That
 * policy is built by `stepPolicy`/`humanPolicy` from `infra/access/declarations.ts`, the very
 * documents `pulumi up` attaches, over local ARNs for the local buckets and tables.
 *
 * Who calls: the role named by `runAs` (lambdas/io/caller.ts) — the executor and
 * `stepHandler` name each step's role, the predict entry points predict's, the local runner
 * and the operator commands the human role they stand for, `orchard features materialize`
 * the view's materialization role (`materializePolicy`, one role per view). A call with no
 * caller (a test's own setup or inspection) is let through and listed in `unattributed`.
 *
 * Feature views: the stack grants a pipeline read access to the views its spec takes features
 * from (infra/platform.ts, `features.from`), and the human roles every view of the stack. Here
 * a test declares them (`grantViews`), as the stack would from the spec; a pipeline declared
 * with none may read no view.
 *
 * A denied call is answered here, before the server sees it, with the response AWS sends: S3
 * 403 `AccessDenied`, DynamoDB 400 `AccessDeniedException`, with AWS's message naming the
 * role, the action and the resource. The SDK's own deserializer turns it into the service
 * exception, which the SDK does not retry. (Unlike AWS, a denied HEAD carries the body too, so
 * the error says why.) Like AWS, a GET or HEAD of a missing key answers 403 rather than 404
 * when the role may not list that key's prefix.
 */
import { fileURLToPath } from "node:url";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { MATERIALIZE_ROLE } from "../../cli/features.ts";
import { STATE_MACHINE_ROLE } from "../../cli/local/list-objects.ts";
import { LOCAL_NAMES } from "../../cli/local/servers.ts";
import { CUSTOM_TRAINER_ROLE, customTrainerPolicy } from "../../infra/access/custom-trainer.ts";
import {
  type AccessTargets,
  type BatchPrefix,
  distributedMapPolicy,
  humanPolicy,
  humanPolicyParts,
  materializePolicy,
  type PolicyDocument,
  stepPolicy,
} from "../../infra/access/policies.ts";
import {
  HUMAN_ROLE_NAMES,
  type HumanRoleName,
  STEP_ROLE_NAMES,
  type StepRoleName,
} from "../../infra/access/types.ts";
import { type Caller, currentCaller } from "../../lambdas/io/caller.ts";
import { LOCAL_REGION, setStorageClientHook } from "../../lambdas/io/clients.ts";
import { FEATURE_TABLE, REGISTRY_TABLE } from "../../lambdas/io/tables.ts";
import { batchResultsPrefix } from "../../pipeline/steps/intermediate-keys.ts";

export const ENFORCED_ACCOUNT = "123456789012";
const REGION = LOCAL_REGION;

/** The local resources as the deployed stack would name them in a policy. */
export const LOCAL_ARNS = {
  buckets: {
    raw: `arn:aws:s3:::${LOCAL_NAMES.rawBucket}`,
    features: `arn:aws:s3:::${LOCAL_NAMES.featuresBucket}`,
    artifacts: `arn:aws:s3:::${LOCAL_NAMES.artifactsBucket}`,
  },
  tables: {
    features: `arn:aws:dynamodb:${REGION}:${ENFORCED_ACCOUNT}:table/${LOCAL_NAMES.featureTable}`,
    registry: `arn:aws:dynamodb:${REGION}:${ENFORCED_ACCOUNT}:table/${LOCAL_NAMES.registryTable}`,
  },
  keyArn: `arn:aws:kms:${REGION}:${ENFORCED_ACCOUNT}:key/0a1b2c3d-data-lake-local`,
  alertTopicArn: `arn:aws:sns:${REGION}:${ENFORCED_ACCOUNT}:orchard-alerts`,
  predictFunctionArn: (pipeline: string) =>
    `arn:aws:lambda:${REGION}:${ENFORCED_ACCOUNT}:function:orchard-${pipeline}-predict`,
  stateMachineArn: (pipeline: string) =>
    `arn:aws:states:${REGION}:${ENFORCED_ACCOUNT}:stateMachine:orchard-${pipeline}`,
};

/** The data-lake key's policy (infra/data-lake.ts): IAM policies decide who uses the key. */
const KEY_POLICY = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "AccountAdministersKey",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ENFORCED_ACCOUNT}:root` },
      Action: "kms:*",
      Resource: "*",
    },
  ],
};

export interface EnforcementOptions {
  /**
   * The pipeline's batch location as deployed (`AccessTargets.batchPrefix`). Default: the
   * landing prefix `<pipeline>/batch/` of the raw bucket, what a local `deploy.batch` directory
   * deploys as.
   */
  batchPrefix?: (pipeline: string) => BatchPrefix | null;
  /** The `s3://` source objects Ingest may read (`AccessTargets.sourceObjectArns`). */
  sourceObjectArns?: (pipeline: string) => string[];
  /** The `s3://` source objects of a view (`MaterializeTargets.sourceObjectArns`). */
  viewSourceObjectArns?: (view: string) => string[];
}

/** Whose policy decides: a pipeline's role, or a view's (materialization, a person reading it). */
export interface PolicyScope {
  pipeline?: string;
  view?: string;
  /** The views the stack grants: the pipeline's (`features.from`), or, for people, every view. */
  views?: string[];
}

/** One IAM request the call needs; all must be allowed. */
export interface IamRequest {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
}

export interface Decision extends IamRequest {
  role: string;
  /** The pipeline the role acted for, or `view:<view>` for a view's. */
  pipeline: string;
  command: string;
  allowed: boolean;
}

export interface Enforcement {
  /** Every authorized or refused request, in order. */
  readonly decisions: Decision[];
  /** The refused ones. */
  readonly denied: Decision[];
  /** Commands sent with no caller named (test code's own calls). */
  readonly unattributed: string[];
  /** Forgets the records, and the policies (rebuilt from the declarations on next use). */
  reset(): void;
  /** Stops enforcing on clients created from now on. */
  stop(): void;
  /**
   * Declares the views `pipeline` takes features from, as the stack grants them from its
   * spec's `features.from` (infra/platform.ts); people may read every view declared here.
   * Kept across `reset()`.
   */
  grantViews(pipeline: string, views: string[]): void;
}

type Input = Record<string, unknown>;

/** S3 commands → IAM requests. Unknown commands are refused loudly: map them here. */
function s3Requests(command: string, input: Input, headers: Record<string, string>): IamRequest[] {
  const bucket = String(input.Bucket ?? "");
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const object = (key: unknown) => `${bucketArn}/${String(key)}`;
  const ours = Object.values(LOCAL_NAMES).includes(bucket as never);
  // Orchard's buckets are SSE-KMS under the data-lake key: S3 calls KMS as the caller.
  const kms = (action: string): IamRequest[] =>
    ours
      ? [
          {
            action,
            resource: LOCAL_ARNS.keyArn,
            context: { "kms:ViaService": `s3.${REGION}.amazonaws.com` },
          },
        ]
      : [];
  const put = (creates: boolean): IamRequest => ({
    action: "s3:PutObject",
    resource: object(input.Key),
    context: {
      "s3:ObjectCreationOperation": String(creates),
      ...(creates && headers["if-none-match"]
        ? { "s3:if-none-match": headers["if-none-match"] }
        : {}),
      ...(creates && headers["if-match"] ? { "s3:if-match": headers["if-match"] } : {}),
    },
  });
  switch (command) {
    case "GetObject":
      return [
        { action: "s3:GetObject", resource: object(input.Key), context: {} },
        ...kms("kms:Decrypt"),
      ];
    case "HeadObject":
      return [{ action: "s3:GetObject", resource: object(input.Key), context: {} }];
    case "PutObject":
      return [put(true), ...kms("kms:GenerateDataKey")];
    case "CreateMultipartUpload":
      return [put(false), ...kms("kms:GenerateDataKey")];
    case "UploadPart":
      return [put(false), ...kms("kms:GenerateDataKey")];
    case "CompleteMultipartUpload":
      return [put(true), ...kms("kms:Decrypt")];
    case "AbortMultipartUpload":
      return [{ action: "s3:AbortMultipartUpload", resource: object(input.Key), context: {} }];
    case "ListObjectsV2":
    case "ListObjects":
      return [
        {
          action: "s3:ListBucket",
          resource: bucketArn,
          context: input.Prefix !== undefined ? { "s3:prefix": String(input.Prefix) } : {},
        },
      ];
    case "HeadBucket":
      return [{ action: "s3:ListBucket", resource: bucketArn, context: {} }];
    case "DeleteObject":
      return [{ action: "s3:DeleteObject", resource: object(input.Key), context: {} }];
    case "DeleteObjects": {
      const keys = ((input.Delete as { Objects?: { Key?: string }[] })?.Objects ?? []).map(
        (o) => o.Key,
      );
      return keys.map((k) => ({ action: "s3:DeleteObject", resource: object(k), context: {} }));
    }
    case "CopyObject": {
      const source = decodeURIComponent(String(input.CopySource ?? "")).replace(/^\//, "");
      return [
        { action: "s3:GetObject", resource: `arn:aws:s3:::${source}`, context: {} },
        put(true),
      ];
    }
    default:
      throw new Error(
        `IAM enforcement: no mapping for S3 ${command}; add it to test/support/iam-enforcement.ts`,
      );
  }
}

const HASH_KEYS: Record<string, string> = {
  [LOCAL_NAMES.featureTable]: FEATURE_TABLE.hashKey,
  [LOCAL_NAMES.registryTable]: REGISTRY_TABLE.hashKey,
};

/** A plain or marshalled (`{ S: "x" }`) attribute value as a string. */
function scalar(value: unknown): string {
  if (value && typeof value === "object") {
    const v = value as Record<string, unknown>;
    const inner = v.S ?? v.N ?? v.B;
    if (inner !== undefined) return String(inner);
  }
  return String(value);
}

function tableArn(table: string, index?: unknown): string {
  const base = `arn:aws:dynamodb:${REGION}:${ENFORCED_ACCOUNT}:table/${table}`;
  return index ? `${base}/index/${String(index)}` : base;
}

/** The partition key value a Query's key condition names (`#p = :p`). */
function queryPartition(table: string, input: Input): string[] {
  const hash = HASH_KEYS[table];
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  const expression = String(input.KeyConditionExpression ?? "");
  for (const m of expression.matchAll(/([#\w]+)\s*=\s*(:\w+)/g)) {
    const name = names[m[1]] ?? m[1];
    if (name === hash) return [scalar(values[m[2]])];
  }
  return [];
}

const DYNAMO_READS = new Set(["GetItem", "Query", "Scan", "BatchGetItem"]);
const DYNAMO_WRITES = new Set(["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"]);

/** DynamoDB commands → IAM requests, with `dynamodb:LeadingKeys` from the request's keys. */
function dynamoRequests(command: string, input: Input): IamRequest[] {
  const action = `dynamodb:${command}`;
  const ours = (table: string) => table in HASH_KEYS;
  const kms = (table: string): IamRequest[] => {
    if (!ours(table)) return [];
    const kmsAction = DYNAMO_WRITES.has(command)
      ? "kms:GenerateDataKey"
      : DYNAMO_READS.has(command)
        ? "kms:Decrypt"
        : undefined;
    return kmsAction
      ? [
          {
            action: kmsAction,
            resource: LOCAL_ARNS.keyArn,
            context: { "kms:ViaService": `dynamodb.${REGION}.amazonaws.com` },
          },
        ]
      : [];
  };
  const request = (table: string, keys: string[], index?: unknown): IamRequest[] => [
    {
      action,
      resource: tableArn(table, index),
      context: keys.length > 0 ? { "dynamodb:LeadingKeys": [...new Set(keys)] } : {},
    },
    ...kms(table),
  ];
  const keyOf = (table: string, item: unknown) =>
    scalar((item as Record<string, unknown> | undefined)?.[HASH_KEYS[table]]);
  switch (command) {
    case "GetItem":
    case "DeleteItem":
    case "UpdateItem": {
      const table = String(input.TableName);
      return request(table, [keyOf(table, input.Key)]);
    }
    case "PutItem": {
      const table = String(input.TableName);
      return request(table, [keyOf(table, input.Item)]);
    }
    case "Query": {
      const table = String(input.TableName);
      return request(table, queryPartition(table, input), input.IndexName);
    }
    case "Scan":
      return request(String(input.TableName), [], input.IndexName);
    case "BatchGetItem":
      return Object.entries(
        (input.RequestItems ?? {}) as Record<string, { Keys?: unknown[] }>,
      ).flatMap(([table, r]) =>
        request(
          table,
          (r.Keys ?? []).map((k) => keyOf(table, k)),
        ),
      );
    case "BatchWriteItem":
      return Object.entries((input.RequestItems ?? {}) as Record<string, Input[]>).flatMap(
        ([table, writes]) =>
          request(
            table,
            writes.map((w) =>
              keyOf(
                table,
                (w.PutRequest as Input | undefined)?.Item ??
                  (w.DeleteRequest as Input | undefined)?.Key,
              ),
            ),
          ),
      );
    case "DescribeTable":
    case "CreateTable":
    case "DeleteTable":
      return [{ action, resource: tableArn(String(input.TableName)), context: {} }];
    default:
      throw new Error(
        `IAM enforcement: no mapping for DynamoDB ${command}; add it to test/support/iam-enforcement.ts`,
      );
  }
}

function isStepRole(role: string): role is StepRoleName {
  return (STEP_ROLE_NAMES as readonly string[]).includes(role);
}

function isHumanRole(role: string): role is HumanRoleName {
  return (HUMAN_ROLE_NAMES as readonly string[]).includes(role);
}

/**
 * A pipeline name that passes `humanPolicy`'s checks when a person acts for a view and no
 * pipeline: only the stack-wide part of the policy is used then, which names no pipeline.
 */
const NO_PIPELINE = "no-pipeline";

/** The targets every role of `pipeline` shares, over the local ARNs. */
function sharedTargets(pipeline: string, options: EnforcementOptions) {
  return {
    buckets: LOCAL_ARNS.buckets,
    tables: LOCAL_ARNS.tables,
    keyArn: LOCAL_ARNS.keyArn,
    alertTopicArn: LOCAL_ARNS.alertTopicArn,
    sourceObjectArns: options.sourceObjectArns?.(pipeline) ?? [],
    batchPrefix:
      options.batchPrefix?.(pipeline) ??
      ({ bucketArn: LOCAL_ARNS.buckets.raw, prefix: `${pipeline}/batch/` } as BatchPrefix),
  };
}

/** The policy `pulumi up` attaches to `role` of `scope`'s pipeline or view, over the local ARNs. */
export function deployedPolicy(
  role: string,
  scope: PolicyScope,
  options: EnforcementOptions = {},
): PolicyDocument {
  const views = scope.views ?? [];
  if (role === MATERIALIZE_ROLE) {
    if (!scope.view) {
      throw new Error(
        `IAM enforcement: ${role} acts for one feature view; name it with runAs({ role, view })`,
      );
    }
    return materializePolicy({
      view: scope.view,
      featuresBucketArn: LOCAL_ARNS.buckets.features,
      featureTableArn: LOCAL_ARNS.tables.features,
      keyArn: LOCAL_ARNS.keyArn,
      sourceObjectArns: options.viewSourceObjectArns?.(scope.view) ?? [],
    });
  }
  if (isHumanRole(role) && !scope.pipeline) {
    // A person reading a view (`orchard features`): the stack-wide part of the role's policy,
    // where the view grants are (humanPolicyParts), and nothing of any pipeline.
    const [stackWide] = humanPolicyParts(role, {
      ...sharedTargets(NO_PIPELINE, options),
      pipelines: [NO_PIPELINE],
      predictFunctionArns: [LOCAL_ARNS.predictFunctionArn(NO_PIPELINE)],
      stateMachineArns: [LOCAL_ARNS.stateMachineArn(NO_PIPELINE)],
      views,
    });
    return stackWide;
  }
  const pipeline = scope.pipeline as string;
  const shared = { ...sharedTargets(pipeline, options), views };
  if (isStepRole(role)) {
    const targets: AccessTargets = {
      ...shared,
      pipeline,
      predictFunctionArn: LOCAL_ARNS.predictFunctionArn(pipeline),
    };
    return stepPolicy(role, targets);
  }
  if (isHumanRole(role)) {
    return humanPolicy(role, {
      ...shared,
      pipelines: [pipeline],
      predictFunctionArns: [LOCAL_ARNS.predictFunctionArn(pipeline)],
      stateMachineArns: [LOCAL_ARNS.stateMachineArn(pipeline)],
    });
  }
  if (role === CUSTOM_TRAINER_ROLE) return customTrainerPolicy({ ...shared, pipeline });
  if (role === STATE_MACHINE_ROLE) {
    // The state machine's own calls: the Distributed Map's listing and its ResultWriter export
    // (its inline policies for invoking functions and logging make no S3 or DynamoDB calls).
    return distributedMapPolicy(LOCAL_ARNS.stateMachineArn(pipeline), shared.batchPrefix, {
      bucketArn: LOCAL_ARNS.buckets.artifacts,
      prefix: batchResultsPrefix(pipeline),
      keyArn: LOCAL_ARNS.keyArn,
    });
  }
  throw new Error(
    `IAM enforcement: "${role}" is no role of the deployed stack; expected one of ${[...STEP_ROLE_NAMES, ...HUMAN_ROLE_NAMES, STATE_MACHINE_ROLE, MATERIALIZE_ROLE, CUSTOM_TRAINER_ROLE].join(", ")}`,
  );
}

type Outcome = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

async function simulate(
  principal: string,
  policy: PolicyDocument,
  request: IamRequest,
): Promise<Outcome> {
  const result = await runSimulation(
    {
      request: {
        principal,
        action: request.action,
        resource: { resource: request.resource, accountId: ENFORCED_ACCOUNT },
        contextVariables: request.context,
      },
      identityPolicies: [{ name: "orchard", policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(request.action.startsWith("kms:") ? { resourcePolicy: KEY_POLICY } : {}),
    },
    {},
  );
  if (result.resultType === "error") {
    throw new Error(
      `IAM enforcement: the simulation of ${request.action} on ${request.resource} is invalid: ${JSON.stringify(result.errors)}`,
    );
  }
  return result.overallResult as Outcome;
}

/** A caller with what it acts for: its pipeline, or (materialization, `orchard features`) a view. */
type Who = Caller & { role: string };

/** What the caller acts for, as it appears in role names and records: `penguins`, `view:prices`. */
function scopeOf(caller: Who): string {
  return caller.pipeline ?? `view:${caller.view}`;
}

function roleArn(caller: Who): string {
  const scope = caller.pipeline ?? `view-${caller.view}`;
  return `arn:aws:sts::${ENFORCED_ACCOUNT}:assumed-role/orchard-${scope}-${caller.role}/local`;
}

/** AWS's wording of a refusal. */
function deniedMessage(caller: Who, request: IamRequest, outcome: Outcome): string {
  const why =
    outcome === "ExplicitlyDenied"
      ? "with an explicit deny in an identity-based policy"
      : `because no identity-based policy allows the ${request.action} action`;
  return `User: ${roleArn(caller)} is not authorized to perform: ${request.action} on resource: "${request.resource}" ${why}`;
}

function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** The HTTP response S3 or DynamoDB sends for a refused call. */
function deniedResponse(service: "s3" | "dynamodb", message: string) {
  const headers: Record<string, string> = { "x-amzn-requestid": "orchard-iam" };
  if (service === "s3") {
    headers["content-type"] = "application/xml";
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${escapeXml(message)}</Message><RequestId>orchard-iam</RequestId></Error>`;
    return { statusCode: 403, headers, body: new TextEncoder().encode(body) };
  }
  headers["content-type"] = "application/x-amz-json-1.0";
  headers["x-amzn-errortype"] = "AccessDeniedException";
  const body = JSON.stringify({
    __type: "com.amazon.coral.service#AccessDeniedException",
    Message: message,
  });
  return { statusCode: 400, headers, body: new TextEncoder().encode(body) };
}

type Handler = (args: { input: Input; request?: unknown }) => Promise<{
  output?: unknown;
  response?: unknown;
}>;
type Middleware = (next: Handler, context: { commandName?: string }) => Handler;
interface Stack {
  middlewareStack: { add(m: Middleware, o: Record<string, unknown>): void };
}

let active: Enforcement | undefined;

/** The enforcement installed in this process, if any. */
export function activeEnforcement(): Enforcement | undefined {
  return active;
}

/**
 * Enforces the deployed IAM on every storage client created from now on (clients that exist
 * already are not touched: call it before the run, or `resetStepDeps()` after).
 */
export function enforceDeployedIam(options: EnforcementOptions = {}): Enforcement {
  const policies = new Map<string, PolicyDocument>();
  const outcomes = new Map<string, Promise<Outcome>>();
  const decisions: Decision[] = [];
  const denied: Decision[] = [];
  const unattributed: string[] = [];
  const viewsOf = new Map<string, string[]>();

  const policyOf = (caller: Who) => {
    const id = `${caller.role} ${scopeOf(caller)}`;
    let policy = policies.get(id);
    if (!policy) {
      // People read every view of the stack; a pipeline's roles the views of its spec.
      const views = caller.pipeline
        ? isHumanRole(caller.role)
          ? [...new Set([...viewsOf.values()].flat())]
          : (viewsOf.get(caller.pipeline) ?? [])
        : [...new Set([...[...viewsOf.values()].flat(), caller.view as string])];
      policy = deployedPolicy(
        caller.role,
        { pipeline: caller.pipeline, view: caller.view, views },
        options,
      );
      policies.set(id, policy);
    }
    return policy;
  };

  const decide = (caller: Who, request: IamRequest): Promise<Outcome> => {
    const id = JSON.stringify([caller.role, scopeOf(caller), request]);
    let outcome = outcomes.get(id);
    if (!outcome) {
      outcome = simulate(roleArn(caller), policyOf(caller), request);
      outcomes.set(id, outcome);
    }
    return outcome;
  };

  const middleware =
    (service: "s3" | "dynamodb"): Middleware =>
    (next, context) =>
    async (args) => {
      const command = (context.commandName ?? "?").replace(/Command$/, "");
      const caller = currentCaller();
      if (!caller) {
        unattributed.push(`${service}:${command}`);
        return next(args);
      }
      if (!caller.pipeline && !caller.view) {
        throw new Error(
          `IAM enforcement: ${caller.role} sent ${service} ${command} without a pipeline or view; name it with runAs({ role, pipeline }) or runAs({ role, view })`,
        );
      }
      const who = caller;
      const headers = ((args.request as { headers?: Record<string, string> } | undefined)
        ?.headers ?? {}) as Record<string, string>;
      const requests =
        service === "s3"
          ? s3Requests(command, args.input, headers)
          : dynamoRequests(command, args.input);
      for (const request of requests) {
        const outcome = await decide(who, request);
        const decision = {
          ...request,
          role: who.role,
          pipeline: scopeOf(who),
          command,
          allowed: outcome === "Allowed",
        };
        decisions.push(decision);
        if (outcome !== "Allowed") {
          denied.push(decision);
          return {
            response: deniedResponse(service, deniedMessage(who, request, outcome)),
            output: undefined,
          };
        }
      }
      // A missing key answers 404 only to a role that may list it; otherwise 403 (AWS).
      if (service === "s3" && (command === "GetObject" || command === "HeadObject")) {
        const result = await next(args);
        const status = (result.response as { statusCode?: number } | undefined)?.statusCode;
        if (status !== 404) return result;
        const list: IamRequest = {
          action: "s3:ListBucket",
          resource: `arn:aws:s3:::${String(args.input.Bucket)}`,
          context: { "s3:prefix": String(args.input.Key) },
        };
        const outcome = await decide(who, list);
        const decision = {
          ...list,
          role: who.role,
          pipeline: scopeOf(who),
          command,
          allowed: outcome === "Allowed",
        };
        decisions.push(decision);
        if (outcome === "Allowed") return result;
        denied.push(decision);
        return {
          response: deniedResponse("s3", deniedMessage(who, list, outcome)),
          output: undefined,
        };
      }
      return next(args);
    };

  setStorageClientHook(({ s3, dynamodb }) => {
    // Below the deserializer (it parses our answer as the service's) and inside the retry
    // loop, like the fault layer: the SDK sees the refusal exactly as it would from AWS.
    (s3 as unknown as Stack).middlewareStack.add(middleware("s3"), {
      name: "orchardIamEnforcement",
      step: "deserialize",
      priority: "low",
    });
    (dynamodb as unknown as Stack).middlewareStack.add(middleware("dynamodb"), {
      name: "orchardIamEnforcement",
      step: "deserialize",
      priority: "low",
    });
  });

  const enforcement: Enforcement = {
    decisions,
    denied,
    unattributed,
    reset() {
      policies.clear();
      outcomes.clear();
      decisions.length = 0;
      denied.length = 0;
      unattributed.length = 0;
    },
    stop() {
      setStorageClientHook(undefined);
      if (active === enforcement) active = undefined;
    },
    grantViews(pipeline, views) {
      viewsOf.set(pipeline, [...views]);
      // Policies built before the declaration would not show it.
      policies.clear();
      outcomes.clear();
    },
  };
  active = enforcement;
  return enforcement;
}

/** `node --import` of this file makes a spawned `orchard` enforce the deployed IAM too. */
export const IAM_PRELOAD = fileURLToPath(new URL("./iam-preload.mjs", import.meta.url));

/** Where spawned processes log what they refused (set by the setup, read at its end). */
export const DENIED_LOG_ENV = "ORCHARD_TEST_IAM_DENIED_LOG";

/**
 * The environment that makes a child `orchard` process enforce the deployed IAM, when this
 * process does; empty otherwise.
 */
export function enforcedChildEnv(): Record<string, string> {
  if (!active) return {};
  const options = [process.env.NODE_OPTIONS, `--import ${IAM_PRELOAD}`].filter(Boolean).join(" ");
  return {
    NODE_OPTIONS: options,
    ...(process.env[DENIED_LOG_ENV] ? { [DENIED_LOG_ENV]: process.env[DENIED_LOG_ENV] } : {}),
  };
}
