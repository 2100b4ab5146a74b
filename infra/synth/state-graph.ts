/**
 * A state machine definition (parsed ASL) as a graph a reviewer can diff: every state by its
 * path (a Map's or Parallel's inner states are `Outer/Inner`, Parallel branches
 * `Outer/<i>/Inner`), with its type, resource, timeout, retry and catch policies, and every
 * edge as one line: `A -> B (next)`, `Gate -> Promote (choice 1)`, `Ingest -> NotifyFailure
 * (catch States.ALL)`, `Train -> Train/Fit (start)`, `Promote -> (end)`.
 */
import type { Json } from "./normalize.ts";

export interface GraphRetry {
  errors: string[];
  intervalSeconds?: number;
  maxAttempts?: number;
  backoffRate?: number;
  maxDelaySeconds?: number;
  jitter?: string;
}

export interface GraphCatch {
  errors: string[];
  next: string;
}

export interface GraphState {
  type: string;
  resource?: string;
  timeoutSeconds?: number;
  retry?: GraphRetry[];
  catch?: GraphCatch[];
  /** Everything else the state declares (parameters, paths, Choice rules), for the diff. */
  settings?: Json;
}

export interface StateGraph {
  startAt: string;
  states: Record<string, GraphState>;
  /** Sorted edge lines. */
  edges: string[];
}

type Obj = Record<string, Json>;
const obj = (v: Json | undefined): Obj =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {};
const arr = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);
const strings = (v: Json | undefined): string[] => arr(v).map(String);

/** Keys a GraphState lifts out of a state; the rest goes to `settings`. */
const LIFTED = new Set([
  "Type",
  "Resource",
  "TimeoutSeconds",
  "Retry",
  "Catch",
  "Next",
  "End",
  "Default",
  "Iterator",
  "ItemProcessor",
  "Branches",
]);

function retries(v: Json | undefined): GraphRetry[] {
  return arr(v).map((r) => {
    const o = obj(r);
    const out: GraphRetry = { errors: strings(o.ErrorEquals) };
    if (typeof o.IntervalSeconds === "number") out.intervalSeconds = o.IntervalSeconds;
    if (typeof o.MaxAttempts === "number") out.maxAttempts = o.MaxAttempts;
    if (typeof o.BackoffRate === "number") out.backoffRate = o.BackoffRate;
    if (typeof o.MaxDelaySeconds === "number") out.maxDelaySeconds = o.MaxDelaySeconds;
    if (typeof o.JitterStrategy === "string") out.jitter = o.JitterStrategy;
    return out;
  });
}

function addStates(
  graph: StateGraph,
  states: Obj,
  prefix: string,
  edges: Set<string>,
  parent?: string,
  startAt?: string,
): void {
  const at = (name: string) => `${prefix}${name}`;
  if (parent && startAt) edges.add(`${parent} -> ${at(startAt)} (start)`);
  for (const name of Object.keys(states)) {
    const s = obj(states[name]);
    const id = at(name);
    const node: GraphState = { type: String(s.Type ?? "?") };
    if (typeof s.Resource === "string") node.resource = s.Resource;
    if (typeof s.TimeoutSeconds === "number") node.timeoutSeconds = s.TimeoutSeconds;
    if (s.Retry !== undefined) node.retry = retries(s.Retry);
    if (s.Catch !== undefined) {
      node.catch = arr(s.Catch).map((c) => ({
        errors: strings(obj(c).ErrorEquals),
        next: at(String(obj(c).Next)),
      }));
    }
    const settings: Obj = {};
    for (const key of Object.keys(s).sort()) {
      if (!LIFTED.has(key) && key !== "Choices") settings[key] = s[key];
    }
    if (s.Choices !== undefined) {
      settings.Choices = arr(s.Choices).map((c) => {
        const { Next: _next, ...rule } = obj(c);
        return rule;
      });
    }
    if (Object.keys(settings).length > 0) node.settings = settings;
    graph.states[id] = node;

    if (typeof s.Next === "string") edges.add(`${id} -> ${at(s.Next)} (next)`);
    if (s.End === true) edges.add(`${id} -> (end)`);
    arr(s.Choices).forEach((c, i) => {
      edges.add(`${id} -> ${at(String(obj(c).Next))} (choice ${i + 1})`);
    });
    if (typeof s.Default === "string") edges.add(`${id} -> ${at(s.Default)} (default)`);
    for (const c of node.catch ?? []) edges.add(`${id} -> ${c.next} (catch ${c.errors.join(",")})`);
    const inner = obj(s.ItemProcessor ?? s.Iterator);
    if (inner.States) {
      addStates(graph, obj(inner.States), `${id}/`, edges, id, String(inner.StartAt));
    }
    arr(s.Branches).forEach((b, i) => {
      const branch = obj(b);
      addStates(graph, obj(branch.States), `${id}/${i}/`, edges, id, String(branch.StartAt));
    });
  }
}

/** The graph of a parsed ASL definition. */
export function stateGraph(definition: Json): StateGraph {
  const def = obj(definition);
  const graph: StateGraph = { startAt: String(def.StartAt ?? ""), states: {}, edges: [] };
  const edges = new Set<string>();
  addStates(graph, obj(def.States), "", edges);
  graph.edges = [...edges].sort();
  return graph;
}
