/**
 * A small typed model of the Amazon States Language, JSONPath flavour only: the subset Orchard
 * emits and that both AWS Step Functions and Orchard's local engine execute. JSONata, `Assign`
 * and `.sync` integrations are deliberately absent (the local engine does not run them, and
 * local must equal cloud). Distributed Map is modelled with an S3 listing as its ItemReader.
 */

/** A JSON value as carried in a state's payload. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** A JSONPath into the state (`$.x`) or the context object (`$$.x`). */
export type JsonPath = `$${string}`;

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds: number;
  MaxAttempts: number;
  BackoffRate: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: "FULL" | "NONE";
}

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: JsonPath | null;
}

interface StateBase {
  Comment?: string;
}

/** `Next` xor `End`, as every non-terminal, non-Choice state requires. */
type Transition = { Next: string; End?: never } | { End: true; Next?: never };

export type TaskState = StateBase &
  Transition & {
    Type: "Task";
    /** A Lambda function ARN: invoked directly, its return value is the task result. */
    Resource: string;
    InputPath?: JsonPath | null;
    Parameters?: { [key: string]: JsonValue };
    ResultPath?: JsonPath | null;
    OutputPath?: JsonPath | null;
    TimeoutSeconds?: number;
    /** Fail with States.HeartbeatTimeout when the task sends no heartbeat for this long. */
    HeartbeatSeconds?: number;
    Retry?: Retrier[];
    Catch?: Catcher[];
  };

export interface ItemProcessor {
  /** INLINE: iterations inside this execution; DISTRIBUTED: one child execution per item. */
  ProcessorConfig:
    | { Mode: "INLINE" }
    | { Mode: "DISTRIBUTED"; ExecutionType: "STANDARD" | "EXPRESS" };
  StartAt: string;
  States: Record<string, State>;
}

/**
 * A Distributed Map's items from an S3 listing: one item per object under the prefix,
 * `{ Key, Etag, LastModified, Size, StorageClass }` (LastModified in epoch seconds).
 */
export interface ItemReader {
  Resource: "arn:aws:states:::s3:listObjectsV2";
  /** `Bucket` and `Prefix`, or `Bucket.$` / `Prefix.$` paths into the state. */
  Parameters: { [key: string]: JsonValue };
  ReaderConfig?: { MaxItems?: number };
}

/**
 * Where a Distributed Map exports its children's results instead of returning them inline:
 * `<Prefix>/<map run id>/manifest.json` plus one file per status (`SUCCEEDED_0.json`,
 * `FAILED_0.json`), and the state's result is only `{ MapRunArn, ResultWriterDetails:
 * { Bucket, Key } }` (Key: the manifest). Inline results are capped by the 256 KiB payload.
 */
export interface ResultWriter {
  Resource: "arn:aws:states:::s3:putObject";
  /** `Bucket` and `Prefix`, or `Bucket.$` / `Prefix.$` paths into the state. */
  Parameters: { [key: string]: JsonValue };
}

/** Groups a Distributed Map's items: each child gets `{ Items: [...], BatchInput }`. */
export interface ItemBatcher {
  MaxItemsPerBatch?: number;
  MaxInputBytesPerBatch?: number;
  BatchInput?: { [key: string]: JsonValue };
}

export type MapState = StateBase &
  Transition & {
    Type: "Map";
    /** The array to iterate (default `$`); a Distributed Map may list items with ItemReader instead. */
    ItemsPath?: JsonPath;
    ItemSelector?: { [key: string]: JsonValue };
    ItemProcessor: ItemProcessor;
    /** At most this many iterations (child executions) at once; 0: no limit of the state's own. */
    MaxConcurrency: number;
    /** Distributed only. */
    ItemReader?: ItemReader;
    ItemBatcher?: ItemBatcher;
    ResultWriter?: ResultWriter;
    ToleratedFailurePercentage?: number;
    ToleratedFailureCount?: number;
    Label?: string;
    ResultPath?: JsonPath | null;
    Retry?: Retrier[];
    Catch?: Catcher[];
  };

/** A JSONPath Choice rule (only the operators Orchard uses). */
export type ChoiceRule =
  | { Variable: JsonPath; IsPresent: boolean }
  | { Variable: JsonPath; IsBoolean: boolean }
  | { Variable: JsonPath; BooleanEquals: boolean }
  | { And: ChoiceRule[] }
  | { Or: ChoiceRule[] }
  | { Not: ChoiceRule };

export type ChoiceState = StateBase & {
  Type: "Choice";
  Choices: (ChoiceRule & { Next: string })[];
  Default: string;
};

export type PassState = StateBase &
  Transition & {
    Type: "Pass";
    Parameters?: { [key: string]: JsonValue };
    Result?: JsonValue;
    ResultPath?: JsonPath | null;
  };

/** Waits a number of seconds read from the state (`SecondsPath`) or fixed (`Seconds`). */
export type WaitState = StateBase &
  Transition &
  ({ Type: "Wait"; Seconds: number } | { Type: "Wait"; SecondsPath: JsonPath });

export type SucceedState = StateBase & { Type: "Succeed"; OutputPath?: JsonPath | null };

export type FailState = StateBase & {
  Type: "Fail";
  Error?: string;
  Cause?: string;
  ErrorPath?: JsonPath;
  CausePath?: JsonPath;
};

export type State =
  | TaskState
  | MapState
  | ChoiceState
  | PassState
  | WaitState
  | SucceedState
  | FailState;

export interface StateMachineDefinition {
  Comment?: string;
  StartAt: string;
  States: Record<string, State>;
  TimeoutSeconds?: number;
}
