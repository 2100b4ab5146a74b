/**
 * The @pulumi/aws v7 type tokens the rules look at. In v7 `aws.s3.Bucket` is the former
 * BucketV2 (`aws:s3/bucket:Bucket`); the V2 tokens remain as deprecated aliases, so the rules
 * accept both spellings. Encryption, public access blocks, policies and ACLs of a bucket are
 * separate resources that name the bucket in their `bucket` property.
 */

export const BUCKET = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
export const BUCKET_LOGGING = [
  "aws:s3/bucketLogging:BucketLogging",
  "aws:s3/bucketLoggingV2:BucketLoggingV2",
];
export const BUCKET_ENCRYPTION = [
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
];
export const BUCKET_PUBLIC_ACCESS_BLOCK = [
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
];
export const BUCKET_POLICY = ["aws:s3/bucketPolicy:BucketPolicy"];
export const BUCKET_ACL = ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"];
export const BUCKET_OWNERSHIP = ["aws:s3/bucketOwnershipControls:BucketOwnershipControls"];
export const TABLE = ["aws:dynamodb/table:Table"];
export const TOPIC = ["aws:sns/topic:Topic"];
export const TOPIC_POLICY = ["aws:sns/topicPolicy:TopicPolicy"];
export const LOG_GROUP = ["aws:cloudwatch/logGroup:LogGroup"];
export const KMS_KEY = ["aws:kms/key:Key"];
export const ROLE = ["aws:iam/role:Role"];
export const ROLE_POLICY = ["aws:iam/rolePolicy:RolePolicy"];
export const MANAGED_POLICY = ["aws:iam/policy:Policy"];
export const USER_OR_GROUP_POLICY = [
  "aws:iam/userPolicy:UserPolicy",
  "aws:iam/groupPolicy:GroupPolicy",
];
export const POLICY_ATTACHMENT = [
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  "aws:iam/policyAttachment:PolicyAttachment",
];
export const FUNCTION_URL = ["aws:lambda/functionUrl:FunctionUrl"];
export const LAMBDA_PERMISSION = ["aws:lambda/permission:Permission"];

/**
 * AWS resources the program creates that take `tags` (checked against the provider's
 * `*Args` declarations in test/infra/policy-rules.test.ts). Schedules, bucket sub-resources,
 * aliases, function URLs, role policies and subscriptions have no tags in AWS.
 */
export const TAGGABLE = [
  ...BUCKET,
  ...TABLE,
  ...TOPIC,
  ...LOG_GROUP,
  ...KMS_KEY,
  ...ROLE,
  ...MANAGED_POLICY,
  "aws:lambda/function:Function",
  "aws:sfn/stateMachine:StateMachine",
  "aws:cloudwatch/metricAlarm:MetricAlarm",
  "aws:ecs/cluster:Cluster",
  "aws:ecs/taskDefinition:TaskDefinition",
  "aws:sqs/queue:Queue",
];

export function isType(resource: { type: string }, tokens: readonly string[]): boolean {
  return tokens.includes(resource.type);
}
