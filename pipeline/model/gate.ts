/**
 * The champion/challenger decision. A challenger is promoted when it clears the gate's
 * absolute bound (a `minimum` for higher-is-better metrics, a `maximum` for lower-is-better
 * ones, judged on all of its test rows) and, when there is a champion, beats it by more than
 * `margin` in the metric's better direction on the rows both were scored on. Equal is not better: retraining on the same data must not churn the champion.
 */
import { metricDirection } from "../metrics/compute.ts";
import type { GateSpec } from "../spec/types.ts";
import type { ModelVersion } from "../store.ts";

export interface GateDecision {
  promote: boolean;
  /** Why, one sentence per check, in the order checked. */
  reasons: string[];
}

/** The champion's side of the comparison, measured on the same rows as `challenger`. */
export interface ChampionScore {
  version: string;
  value: number;
  /** The challenger on the rows the champion was scored on, when not all of its test rows. */
  challenger?: number;
  /** How many rows both were scored on; null or absent for a recorded metric. */
  rows?: number | null;
}

export function decidePromotion(
  gate: GateSpec,
  challenger: number,
  champion: ChampionScore | null,
): GateDecision {
  const higher = metricDirection(gate.metric) === "higher";
  const reasons: string[] = [];
  let promote = true;
  const fmt = (x: number) => Number(x.toPrecision(6)).toString();

  if (!Number.isFinite(challenger)) {
    return { promote: false, reasons: [`${gate.metric} is ${challenger}, not a finite number`] };
  }
  if (gate.minimum !== null && higher) {
    const ok = challenger >= gate.minimum;
    promote &&= ok;
    reasons.push(
      `${gate.metric} ${fmt(challenger)} ${ok ? "meets" : "is below"} the minimum ${fmt(gate.minimum)}`,
    );
  }
  if (gate.maximum !== null && !higher) {
    const ok = challenger <= gate.maximum;
    promote &&= ok;
    reasons.push(
      `${gate.metric} ${fmt(challenger)} ${ok ? "meets" : "is above"} the maximum ${fmt(gate.maximum)}`,
    );
  }
  if (champion === null) {
    reasons.push("there is no champion yet");
  } else {
    const ours = champion.challenger ?? challenger;
    const gain = higher ? ours - champion.value : champion.value - ours;
    const ok = gain > gate.margin;
    promote &&= ok;
    const margin = gate.margin > 0 ? ` by more than the margin ${fmt(gate.margin)}` : "";
    const rows =
      champion.rows == null ? "" : ` on the ${champion.rows} test rows neither model trained on`;
    reasons.push(
      `${gate.metric} ${fmt(ours)} ${ok ? "beats" : "does not beat"} champion ${champion.version} (${fmt(champion.value)})${rows}${margin}`,
    );
  }
  return { promote, reasons };
}

/**
 * Why a pipeline has no champion, from its newest registered version, for the messages of
 * `orchard predict` and batch scoring: "run until a model is promoted" helps nobody when the
 * gate rejected a deterministic model, so name the gate's check and the value it saw.
 */
export function whyNoChampion(gate: GateSpec, newest: ModelVersion | null): string {
  if (!newest) return "no run has registered a model yet";
  const value = newest.metrics[gate.metric];
  if (newest.status === "rejected") {
    const failed =
      value === undefined
        ? [`its ${gate.metric} was not a finite number`]
        : decidePromotion(gate, value, null).reasons.filter((r) => /is (below|above)/.test(r));
    const bound = metricDirection(gate.metric) === "higher" ? "gate.minimum" : "gate.maximum";
    return `the newest model ${newest.version} was rejected by the gate (gate.metric ${gate.metric}): ${failed.join("; ") || "it did not pass"}; change ${bound} in the spec or improve the model, then run again`;
  }
  if (newest.status === "rolled-back") {
    const why = newest.canary ? `: ${newest.canary.reason}` : "";
    return `the newest model ${newest.version} was rolled back by its canary${why}`;
  }
  return `the newest model ${newest.version} is ${newest.status} but was not promoted; promote it with "orchard promote" or run again`;
}
