/**
 * A small typed model of the Amazon States Language, JSONPath flavour only: the subset Orchard
 * emits and that both AWS Step Functions and aws-local-stepfunctions execute. JSONata, `Assign`,
 * `.sync` integrations and Distributed Map are deliberately absent (the local engine does not
 * run them, and local must equal cloud).
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
  ProcessorConfig: { Mode: "INLINE" };
  StartAt: string;
  States: Record<string, State>;
}

export type MapState = StateBase &
  Transition & {
    Type: "Map";
    ItemsPath: JsonPath;
    ItemSelector?: { [key: string]: JsonValue };
    ItemProcessor: ItemProcessor;
    MaxConcurrency: number;
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
