/**
 * The task role of a team's own trainer (`model.type: custom`, docs/custom-training.md): the
 * image is the team's code, so the role grants exactly what the contract hands it and no
 * more: read the run's inputs (`<pipeline>/custom-train/inputs/`), put its outputs
 * (`<pipeline>/custom-train/outputs/`), and the data-lake key for those two through S3. No
 * listing beyond its inputs, no read of outputs or of anything else of the pipeline (the
 * raw data, features, models), no other pipeline, no DynamoDB, no deletes.
 */
import { CUSTOM_TRAINER_ROLE } from "../../pipeline/train/custom-trainer.ts";
import { requireArn, requirePipelineName } from "./arns.ts";
import { CUSTOM_TRAIN_INPUTS, CUSTOM_TRAIN_OUTPUTS } from "./declarations.ts";
import { grantKey, grantRead, StatementSet } from "./grants.ts";
import type { AccessTargets, PolicyDocument } from "./types.ts";

export { CUSTOM_TRAINER_ROLE };

export function customTrainerPolicy(
  targets: Pick<AccessTargets, "pipeline" | "buckets" | "keyArn">,
): PolicyDocument {
  const pipeline = requirePipelineName(targets.pipeline, "pipeline");
  const bucket = targets.buckets?.artifacts;
  requireArn(bucket, "bucket", "buckets.artifacts");
  const key = requireArn(targets.keyArn, "key", "keyArn");
  const inputs = CUSTOM_TRAIN_INPUTS.replace("<pipeline>", pipeline);
  const outputs = CUSTOM_TRAIN_OUTPUTS.replace("<pipeline>", pipeline);
  const set = new StatementSet();
  grantRead(set, "trainingInputs", bucket, [inputs]);
  set.add({
    // The trainer writes each output once, at the URI it is given; it need not read it.
    Sid: "PutTrainingOutputs",
    Effect: "Allow",
    Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
    Resource: [`${bucket}/${outputs}*`],
  });
  set.keyWrites.add("s3");
  grantKey(set, targets.keyArn, key);
  return { Version: "2012-10-17", Statement: set.statements() };
}
