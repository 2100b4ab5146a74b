/**
 * NotifyFailure: reached through every Task's Catch. Logs the failure and, when the stack
 * configured an alert topic (ORCHARD_ALERT_TOPIC_ARN), publishes it to SNS. It returns
 * nothing: the Fail state after it reports the original error name and cause.
 */
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { RunState } from "../pipeline/steps/types.ts";
import { createLogger } from "./io/logger.ts";

let sns: SNSClient | undefined;

export async function handler(event: RunState): Promise<void> {
  const error = event.error ?? { Error: "Unknown", Cause: "" };
  const pipeline = event.run?.pipeline ?? "unknown";
  // Created per call: failures are rare, and the level then follows ORCHARD_LOG_LEVEL as set now.
  const logger = createLogger({ fields: { step: "notifyFailure" } });
  logger.error("pipeline failed", { pipeline, error: error.Error, cause: error.Cause });
  const topic = process.env.ORCHARD_ALERT_TOPIC_ARN;
  if (!topic) return;
  sns ??= new SNSClient({});
  await sns.send(
    new PublishCommand({
      TopicArn: topic,
      // SNS subjects are limited to 100 characters.
      Subject: `Orchard pipeline ${pipeline} failed: ${error.Error}`.slice(0, 100),
      Message: JSON.stringify({ pipeline, error: error.Error, cause: error.Cause }, null, 2),
    }),
  );
}
