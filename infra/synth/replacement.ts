/**
 * Which input properties force a resource to be replaced (deleted and created again) when they
 * change: the `forceNew` properties of the AWS provider's schema, for the resource types
 * Orchard declares. The provider schema ships inside the plugin binary, not the npm package,
 * so the table is kept here by hand; a type missing from it never claims a replacement (the
 * diff says "update"), which errs on the quiet side — add the type when the program starts
 * declaring it. Physical names are left to auto-naming throughout Orchard, so `name` changes
 * are rare, but a changed key, hash key or bucket reference is the change a reviewer must see.
 */

const S3_CHILD = ["bucket", "expectedBucketOwner"];

export const FORCE_NEW: Readonly<Record<string, readonly string[]>> = {
  "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix", "objectLockEnabled"],
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ["bucket"],
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ["bucket"],
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
    S3_CHILD,
  "aws:s3/bucketVersioning:BucketVersioning": S3_CHILD,
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": S3_CHILD,
  "aws:s3/bucketLogging:BucketLogging": S3_CHILD,
  "aws:s3/bucketPolicy:BucketPolicy": ["bucket"],
  "aws:s3/bucketObject:BucketObject": ["bucket", "key"],
  "aws:kms/key:Key": [
    "customerMasterKeySpec",
    "customKeyStoreId",
    "keyUsage",
    "multiRegion",
    "xksKeyId",
  ],
  "aws:kms/alias:Alias": ["name", "namePrefix"],
  "aws:dynamodb/table:Table": ["name", "hashKey", "rangeKey", "localSecondaryIndexes"],
  "aws:sns/topic:Topic": ["name", "namePrefix", "fifoTopic"],
  "aws:sns/topicPolicy:TopicPolicy": ["arn"],
  "aws:sns/topicSubscription:TopicSubscription": ["endpoint", "protocol", "topic"],
  "aws:iam/role:Role": ["name", "namePrefix", "path"],
  "aws:iam/rolePolicy:RolePolicy": ["name", "namePrefix", "role"],
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["role", "policyArn"],
  "aws:cloudwatch/logGroup:LogGroup": ["name", "namePrefix", "logGroupClass"],
  "aws:cloudwatch/metricAlarm:MetricAlarm": ["name"],
  "aws:cloudwatch/eventRule:EventRule": ["name", "namePrefix", "eventBusName"],
  "aws:lambda/function:Function": ["name", "packageType"],
  "aws:lambda/alias:Alias": ["functionName", "name"],
  "aws:lambda/functionUrl:FunctionUrl": ["functionName", "qualifier"],
  "aws:lambda/permission:Permission": [
    "action",
    "eventSourceToken",
    "functionName",
    "functionUrlAuthType",
    "principal",
    "principalOrgId",
    "qualifier",
    "sourceAccount",
    "sourceArn",
    "statementId",
    "statementIdPrefix",
  ],
  "aws:sfn/stateMachine:StateMachine": ["name", "namePrefix", "type"],
  "aws:scheduler/schedule:Schedule": ["name", "namePrefix", "groupName"],
  "aws:ecs/cluster:Cluster": ["name"],
  "aws:ecs/taskDefinition:TaskDefinition": [
    "containerDefinitions",
    "cpu",
    "ephemeralStorage",
    "executionRoleArn",
    "family",
    "ipcMode",
    "memory",
    "networkMode",
    "pidMode",
    "placementConstraints",
    "proxyConfiguration",
    "requiresCompatibilities",
    "runtimePlatform",
    "taskRoleArn",
    "volumes",
  ],
};

/** Whether changing the top-level input `property` of a `type` replaces the resource. */
export function forcesReplacement(type: string, property: string): boolean {
  return FORCE_NEW[type]?.includes(property) ?? false;
}
