/**
 * Who promotes, for the registry's promotion history: `--actor` when given; else, for a cloud
 * target, the caller's identity from STS (the IAM user or assumed-role session ARN, which is
 * what CloudTrail records too); else, locally, the operating system user.
 */
import { userInfo } from "node:os";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { awsCall } from "./errors.ts";

export interface ActorOptions {
  actor?: string;
  kind: "cloud" | "local";
  region?: string;
}

export async function resolveActor(options: ActorOptions): Promise<string> {
  const given = options.actor?.trim();
  if (given) return given;
  if (options.kind === "local") return localUser();
  const client = new STSClient(options.region ? { region: options.region } : {});
  try {
    const identity = await awsCall({ action: "sts:GetCallerIdentity", resource: "STS" }, () =>
      client.send(new GetCallerIdentityCommand({})),
    );
    return identity.Arn ?? identity.UserId ?? "unknown";
  } finally {
    client.destroy();
  }
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to the environment.
    return process.env.USER ?? process.env.USERNAME ?? "unknown";
  }
}
