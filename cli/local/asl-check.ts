/**
 * The static check the local ASL engine runs before an execution starts: everything outside
 * the subset Orchard runs (pipeline/workflow/asl.ts) is refused, naming the state, rather
 * than silently ignored or half-run.
 */
import { SpecError } from "../../pipeline/errors.ts";
import type { ChoiceRule, JsonValue, State } from "../../pipeline/workflow/asl.ts";
import { parsePath } from "./asl-paths.ts";

interface Machine {
  StartAt: string;
  States: Record<string, State>;
}

/**
 * Refuses, before anything runs, what this executor does not run: unknown state types,
 * transitions to missing states, paths that are not reference paths, Choice operators outside
 * Orchard's subset, Distributed Map fields on an inline Map, and item readers other than an S3
 * listing. The error names the state.
 */
export function checkDefinition(definition: Machine & { TimeoutSeconds?: number }): void {
  const visit = (machine: Machine, where: string) => {
    const refuse = (state: string, why: string): never => {
      throw new SpecError(`state "${state}"${where}: ${why}`, { path: `States.${state}` });
    };
    if (!(machine.StartAt in machine.States))
      refuse(machine.StartAt, "StartAt names a state that does not exist");
    for (const [name, state] of Object.entries(machine.States)) {
      const allowed = FIELDS[state.Type];
      if (!allowed) refuse(name, `type ${state.Type} is not run by Orchard's local executor`);
      const extra = Object.keys(state).filter((key) => !allowed.includes(key));
      if (extra.length > 0)
        refuse(
          name,
          `${extra.join(", ")} ${extra.length === 1 ? "is" : "are"} not run by Orchard's local executor (pipeline/workflow/asl.ts lists what is)`,
        );
      const targets: string[] = [];
      const paths: string[] = [];
      switch (state.Type) {
        case "Task":
        case "Pass":
        case "Wait":
        case "Map":
          if (state.Next !== undefined) targets.push(state.Next);
          else if (state.End !== true) refuse(name, "has neither Next nor End");
          for (const c of ("Catch" in state ? state.Catch : undefined) ?? []) targets.push(c.Next);
          break;
        case "Choice":
          targets.push(...state.Choices.map((c) => c.Next));
          if (state.Default !== undefined) targets.push(state.Default);
          for (const rule of state.Choices)
            collectRulePaths(rule, paths, (why) => refuse(name, why));
          break;
        case "Succeed":
        case "Fail":
          break;
      }
      for (const key of [
        "InputPath",
        "OutputPath",
        "ResultPath",
        "ItemsPath",
        "SecondsPath",
        "ErrorPath",
        "CausePath",
      ] as const) {
        const value = (state as unknown as Record<string, unknown>)[key];
        if (typeof value === "string") paths.push(value);
      }
      for (const key of ["Parameters", "ItemSelector"] as const) {
        const template = (state as unknown as Record<string, unknown>)[key];
        if (template && typeof template === "object")
          collectTemplatePaths(template as { [k: string]: JsonValue }, paths);
      }
      for (const path of paths) {
        try {
          parsePath(path);
        } catch (error) {
          refuse(name, (error as Error).message);
        }
      }
      for (const target of targets)
        if (!(target in machine.States))
          refuse(name, `transitions to "${target}", which does not exist`);
      if (state.Type === "Map") {
        checkMap(state, (why) => refuse(name, why));
        visit(state.ItemProcessor, ` (in Map "${name}")`);
      }
    }
  };
  visit(definition, "");
}

/** The fields each state type may have here: the subset pipeline/workflow/asl.ts models. */
const COMMON = ["Type", "Comment"];
const FLOW = [...COMMON, "Next", "End"];
const FIELDS: Record<string, string[]> = {
  Task: [
    ...FLOW,
    "Resource",
    "InputPath",
    "Parameters",
    "ResultPath",
    "OutputPath",
    "TimeoutSeconds",
    "Retry",
    "Catch",
  ],
  Map: [
    ...FLOW,
    "ItemReader",
    "ItemBatcher",
    "ResultWriter",
    "ToleratedFailurePercentage",
    "ToleratedFailureCount",
    "Label",
    "ItemsPath",
    "ItemSelector",
    "ItemProcessor",
    "MaxConcurrency",
    "ResultPath",
    "Retry",
    "Catch",
  ],
  Pass: [...FLOW, "Parameters", "Result", "ResultPath"],
  Wait: [...FLOW, "Seconds", "SecondsPath"],
  Choice: [...COMMON, "Choices", "Default"],
  Succeed: [...COMMON, "OutputPath"],
  Fail: [...COMMON, "Error", "Cause", "ErrorPath", "CausePath"],
};

function collectRulePaths(rule: ChoiceRule, paths: string[], refuse: (why: string) => never): void {
  if ("And" in rule) for (const r of rule.And) collectRulePaths(r, paths, refuse);
  else if ("Or" in rule) for (const r of rule.Or) collectRulePaths(r, paths, refuse);
  else if ("Not" in rule) collectRulePaths(rule.Not, paths, refuse);
  else {
    const operators = Object.keys(rule).filter((k) => k !== "Variable" && k !== "Next");
    const known = ["IsPresent", "IsBoolean", "BooleanEquals"];
    const unknown = operators.filter((o) => !known.includes(o));
    if (unknown.length > 0 || operators.length !== 1) {
      refuse(
        `Choice operator ${operators.join(", ")} is not run locally: use one of ${known.join(", ")}, And, Or, Not`,
      );
    }
    paths.push(rule.Variable);
  }
}

function collectTemplatePaths(template: { [key: string]: JsonValue }, paths: string[]): void {
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith(".$") && typeof value === "string") paths.push(value);
    else if (value !== null && typeof value === "object" && !Array.isArray(value))
      collectTemplatePaths(value, paths);
  }
}

const DISTRIBUTED_ONLY = [
  "ItemReader",
  "ItemBatcher",
  "ResultWriter",
  "ToleratedFailurePercentage",
  "ToleratedFailureCount",
  "Label",
] as const;

function checkMap(state: Extract<State, { Type: "Map" }>, refuse: (why: string) => never): void {
  const mode = state.ItemProcessor.ProcessorConfig?.Mode;
  if (mode !== "INLINE" && mode !== "DISTRIBUTED")
    refuse(`ProcessorConfig.Mode ${mode} is not INLINE or DISTRIBUTED`);
  if (mode === "INLINE") {
    const misplaced = DISTRIBUTED_ONLY.filter((key) => state[key] !== undefined);
    if (misplaced.length > 0)
      refuse(`${misplaced.join(", ")} belong to a DISTRIBUTED Map, not an INLINE one`);
    return;
  }
  const reader = state.ItemReader;
  if (reader) {
    if (reader.Resource !== "arn:aws:states:::s3:listObjectsV2") {
      refuse(
        `ItemReader ${reader.Resource} is not run locally: use arn:aws:states:::s3:listObjectsV2`,
      );
    }
    if (reader.Parameters?.Bucket === undefined && reader.Parameters?.["Bucket.$"] === undefined) {
      refuse("ItemReader.Parameters needs Bucket (or Bucket.$)");
    }
    if (state.ItemsPath !== undefined) refuse("ItemsPath and ItemReader exclude each other");
  }
  const writer = state.ResultWriter;
  if (writer) {
    // WriterConfig (a Transformation other than the export's NONE, JSONL) is not emulated.
    const extra = Object.keys(writer).filter((k) => k !== "Resource" && k !== "Parameters");
    if (writer.Resource !== "arn:aws:states:::s3:putObject" || extra.length > 0) {
      refuse(
        `ResultWriter ${writer.Resource}${extra.length > 0 ? ` with ${extra.join(", ")}` : ""} is not run locally: use arn:aws:states:::s3:putObject with Parameters only`,
      );
    }
    if (writer.Parameters?.Bucket === undefined && writer.Parameters?.["Bucket.$"] === undefined) {
      refuse("ResultWriter.Parameters needs Bucket (or Bucket.$)");
    }
  }
  const templates = [reader?.Parameters, state.ItemBatcher?.BatchInput, writer?.Parameters];
  for (const template of templates) {
    const paths: string[] = [];
    if (template) collectTemplatePaths(template, paths);
    for (const path of paths) {
      try {
        parsePath(path);
      } catch (error) {
        refuse((error as Error).message);
      }
    }
  }
  const percentage = state.ToleratedFailurePercentage;
  if (percentage !== undefined && !(percentage >= 0 && percentage <= 100)) {
    refuse(`ToleratedFailurePercentage ${percentage} is not from 0 to 100`);
  }
  const count = state.ToleratedFailureCount;
  if (count !== undefined && !(Number.isInteger(count) && count >= 0)) {
    refuse(`ToleratedFailureCount ${count} is not a whole number ≥ 0`);
  }
  const batcher = state.ItemBatcher;
  if (
    batcher &&
    batcher.MaxItemsPerBatch === undefined &&
    batcher.MaxInputBytesPerBatch === undefined
  ) {
    refuse("ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch");
  }
}
