/**
 * Alerts: the KMS-encrypted SNS topic that alarms and the NotifyFailure step publish to, and
 * the optional e-mail subscription (AWS sends a confirmation mail; nothing arrives until the
 * recipient confirms).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { componentTags } from "./tags.ts";

export interface AlertsArgs {
  keyArn: pulumi.Input<string>;
  accountId: pulumi.Input<string>;
  /** Subscribed to the topic when set. */
  email?: string;
}

export class Alerts extends pulumi.ComponentResource {
  readonly topic: aws.sns.Topic;

  constructor(name: string, args: AlertsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("orchard:ops:Alerts", name, {}, opts);
    const child = { parent: this };
    this.topic = new aws.sns.Topic(
      `${name}-topic`,
      { kmsMasterKeyId: args.keyArn, tags: componentTags("alerts") },
      child,
    );
    new aws.sns.TopicPolicy(
      `${name}-topic-policy`,
      {
        arn: this.topic.arn,
        policy: pulumi.all([this.topic.arn, args.accountId]).apply(([topic, account]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "AccountPublishes",
                Effect: "Allow",
                Principal: { AWS: `arn:aws:iam::${account}:root` },
                Action: ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes"],
                Resource: topic,
              },
              {
                Sid: "CloudWatchAlarmsPublish",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topic,
                Condition: { StringEquals: { "aws:SourceAccount": account } },
              },
              {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "sns:Publish",
                Resource: topic,
                Condition: { Bool: { "aws:SecureTransport": "false" } },
              },
            ],
          }),
        ),
      },
      child,
    );
    if (args.email) {
      new aws.sns.TopicSubscription(
        `${name}-email`,
        { topic: this.topic.arn, protocol: "email", endpoint: args.email },
        child,
      );
    }
    this.registerOutputs({ topicArn: this.topic.arn });
  }
}
