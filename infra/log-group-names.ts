/**
 * Log group names carry the stack, between slashes, so that one ARN pattern names every log
 * group of a stack and nothing of another stack in the same account: the human roles read
 * `/orchard/<stack>/*` and `/aws/vendedlogs/states/orchard/<stack>/*` instead of three ARNs
 * per log group, which made the platform-admin policy grow by ~4,300 characters per pipeline
 * (IAM allows 10,240 per role; issue 14). Stack names (Pulumi: A-Z a-z 0-9 - _ .) and pipeline
 * names (a-z 0-9 -) contain no `/` and no IAM pattern character, so `/orchard/prod/` can never
 * match `/orchard/prod-eu/`.
 */

/** Prefix of the step functions' and Fargate tasks' log groups: `/orchard/<stack>/`. */
export function stepLogGroupRoot(stack: string): string {
  return `/orchard/${stack}/`;
}

/** `/orchard/<stack>/<pipeline>/<step>-` (Pulumi appends a random suffix). */
export function stepLogGroupPrefix(stack: string, pipeline: string, step: string): string {
  return `${stepLogGroupRoot(stack)}${pipeline}/${step}-`;
}

/**
 * Prefix of the state machines' execution log groups. Under `/aws/vendedlogs/`: vended-log
 * groups there keep the account's CloudWatch Logs resource policy small.
 */
export function stateMachineLogGroupRoot(stack: string): string {
  return `/aws/vendedlogs/states/orchard/${stack}/`;
}

export function stateMachineLogGroupPrefix(stack: string, pipeline: string): string {
  return `${stateMachineLogGroupRoot(stack)}${pipeline}-`;
}
