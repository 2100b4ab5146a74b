/**
 * The champion/challenger decision. A challenger is promoted when it clears the gate's
 * absolute bound (a `minimum` for higher-is-better metrics, a `maximum` for lower-is-better
 * ones) and, when there is a champion, beats it by more than `margin` in the metric's better
 * direction. Equal is not better: retraining on the same data must not churn the champion.
 */
import { metricDirection } from "../metrics/compute.ts";
import type { GateSpec } from "../spec/types.ts";

export interface GateDecision {
  promote: boolean;
  /** Why, one sentence per check, in the order checked. */
  reasons: string[];
}

export function decidePromotion(
  gate: GateSpec,
  challenger: number,
  champion: { version: string; value: number } | null,
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
    const gain = higher ? challenger - champion.value : champion.value - challenger;
    const ok = gain > gate.margin;
    promote &&= ok;
    const margin = gate.margin > 0 ? ` by more than the margin ${fmt(gate.margin)}` : "";
    reasons.push(
      `${gate.metric} ${fmt(challenger)} ${ok ? "beats" : "does not beat"} champion ${champion.version} (${fmt(champion.value)})${margin}`,
    );
  }
  return { promote, reasons };
}
