/** The pipeline steps, one per Task state of the state machine. */
export { evaluate } from "./evaluate.ts";
export { ingest } from "./ingest.ts";
export { preprocess } from "./preprocess.ts";
export { promote } from "./promote.ts";
export { select } from "./select.ts";
export { train } from "./train.ts";
export type * from "./types.ts";
export { validate } from "./validate.ts";
