/**
 * What the Pulumi mocks answer for each resource: the outputs a provider would invent (ids,
 * physical names, ARNs), derived only from the resource's type, logical name and inputs, so a
 * synthesized stack is byte-identical on every run and on every machine. Fake account
 * 123456789012; physical names follow Pulumi auto-naming (logical name + a suffix), with the
 * suffix a hash of the logical name instead of random.
 */
import { createHash } from "node:crypto";

export const ACCOUNT_ID = "123456789012";

const short = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 7);

/** Auto-naming as Pulumi does it: the logical name plus a random (here: stable) suffix. */
export function physicalName(name: string, inputs: Record<string, unknown>): string {
  if (typeof inputs.name === "string") return inputs.name;
  if (typeof inputs.namePrefix === "string") return `${inputs.namePrefix}${short(name)}`;
  return `${name}-${short(name)}`;
}

/** The outputs a provider would add to a resource's inputs after creating it. */
export function fakeOutputs(
  type: string,
  name: string,
  // biome-ignore lint/suspicious/noExplicitAny: mock inputs are untyped JSON
  inputs: any,
  region: string,
): Record<string, unknown> {
  const n = physicalName(name, inputs);
  const at = `${region}:${ACCOUNT_ID}`;
  switch (type) {
    case "aws:s3/bucket:Bucket": {
      const bucket = n.toLowerCase();
      return { id: bucket, bucket, arn: `arn:aws:s3:::${bucket}` };
    }
    case "aws:kms/key:Key": {
      const id = `${short(name)}-0000-4000-8000-${short(`${name}k`)}00000`;
      return { id, keyId: id, arn: `arn:aws:kms:${at}:key/${id}` };
    }
    case "aws:dynamodb/table:Table":
      return { id: n, name: n, arn: `arn:aws:dynamodb:${at}:table/${n}` };
    case "aws:sns/topic:Topic":
      return { id: `arn:aws:sns:${at}:${n}`, name: n, arn: `arn:aws:sns:${at}:${n}` };
    case "aws:lambda/function:Function": {
      const arn = `arn:aws:lambda:${at}:function:${n}`;
      return { id: n, name: n, arn, version: "1", qualifiedArn: `${arn}:1`, invokeArn: arn };
    }
    case "aws:lambda/alias:Alias":
      return { arn: `arn:aws:lambda:${at}:function:${inputs.functionName}:${inputs.name}` };
    case "aws:lambda/functionUrl:FunctionUrl":
      return {
        functionUrl: `https://${short(name)}${short(`${name}u`)}.lambda-url.${region}.on.aws/`,
      };
    case "aws:iam/role:Role":
      return { id: n, name: n, arn: `arn:aws:iam::${ACCOUNT_ID}:role/${n}` };
    case "aws:iam/policy:Policy": {
      // A managed policy's id is its ARN.
      const arn = `arn:aws:iam::${ACCOUNT_ID}:policy/${n}`;
      return { id: arn, name: n, arn, policyId: `ANPA${short(name).toUpperCase()}` };
    }
    case "aws:cloudwatch/logGroup:LogGroup":
      return { id: n, name: n, arn: `arn:aws:logs:${at}:log-group:${n}` };
    case "aws:sfn/stateMachine:StateMachine":
      return { id: n, name: n, arn: `arn:aws:states:${at}:stateMachine:${n}` };
    case "aws:ecs/cluster:Cluster":
      return { id: n, name: n, arn: `arn:aws:ecs:${at}:cluster/${n}` };
    case "aws:ecs/taskDefinition:TaskDefinition":
      return { id: n, arn: `arn:aws:ecs:${at}:task-definition/${inputs.family}:1`, revision: 1 };
    case "aws:scheduler/schedule:Schedule":
      return { id: n, name: n, arn: `arn:aws:scheduler:${at}:schedule/default/${n}` };
    default:
      return { id: `${n}-id`, name: n };
  }
}

/** What `aws.getCallerIdentity` and other invokes answer under the mocks. */
export function fakeCall(token: string, inputs: Record<string, unknown>): Record<string, unknown> {
  if (token === "aws:index/getCallerIdentity:getCallerIdentity") {
    return {
      accountId: ACCOUNT_ID,
      arn: `arn:aws:iam::${ACCOUNT_ID}:user/deployer`,
      userId: "AIDEPLOYER",
    };
  }
  return inputs;
}
