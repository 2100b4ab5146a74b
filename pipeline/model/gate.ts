/**
 * The champion/challenger decision. A challenger is promoted when it clears the gate's
 * absolute bound (a `minimum` for higher-is-better metrics, a `maximum` for lower-is-better
 * ones, judged on all of its test rows) and, when there is a champion, beats it by more than
 * `margin` in the metric's better direction on the rows both were scored on. Equal is not better: retraining on the same data must not churn the champion.
 */
import { metricDirection } from "../metrics/compute.ts";
import type { GateSpec } from "../spec/types.ts";

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
