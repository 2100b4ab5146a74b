/**
 * Bandit allocation (issue 19 item 5), pure: Thompson sampling over the champion and up to
 * three challengers with a Beta(1 + successes, 1 + failures) posterior per arm on a reward in
 * [0, 1] (a correct prediction by default, or the reward sent with the feedback). Each request
 * goes to the arm whose posterior draw is highest; the Monitor updates the counts from the
 * labeled outcomes. `allocation` turns the posteriors into traffic weights (the share of
 * draws each arm wins), which is what a serving traffic record can carry between updates.
 *
 * Seeded: the same seed and the same outcomes give the same choices.
 */
import { createRng, type Rng } from "../random.ts";

export const MAX_ARMS = 4;

export interface Arm {
  version: string;
  /** Sum of rewards (a correct prediction: 1). */
  successes: number;
  /** Sum of 1 - reward. */
  failures: number;
}

export function newArms(versions: readonly string[]): Arm[] {
  if (versions.length < 2 || versions.length > MAX_ARMS) {
    throw new RangeError(
      `a bandit needs the champion and 1 to ${MAX_ARMS - 1} challengers; got ${versions.length} versions`,
    );
  }
  return versions.map((version) => ({ version, successes: 0, failures: 0 }));
}

/** A standard normal draw (Box–Muller). */
function normal(rng: Rng): number {
  const u = 1 - rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** A Gamma(shape, 1) draw, Marsaglia–Tsang (shape < 1 boosted). */
function gamma(rng: Rng, shape: number): number {
  if (shape < 1) return gamma(rng, shape + 1) * rng() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
      return d * v;
    }
  }
}

export function betaDraw(rng: Rng, a: number, b: number): number {
  const x = gamma(rng, a);
  return x / (x + gamma(rng, b));
}

/** The arm index Thompson sampling picks for the next request. */
export function chooseArm(arms: readonly Arm[], rng: Rng): number {
  let best = 0;
  let bestDraw = -1;
  arms.forEach((arm, i) => {
    const draw = betaDraw(rng, 1 + arm.successes, 1 + arm.failures);
    if (draw > bestDraw) {
      bestDraw = draw;
      best = i;
    }
  });
  return best;
}

/** Adds one labeled outcome to an arm (reward clipped to [0, 1]). */
export function update(arms: Arm[], index: number, reward: number): void {
  const r = Math.min(1, Math.max(0, reward));
  arms[index].successes += r;
  arms[index].failures += 1 - r;
}

/** Traffic weights: the share of `draws` posterior draws each arm wins. */
export function allocation(arms: readonly Arm[], seed: number, draws = 2000): number[] {
  const rng = createRng(seed);
  const wins = arms.map(() => 0);
  for (let i = 0; i < draws; i++) wins[chooseArm(arms, rng)]++;
  return wins.map((w) => w / draws);
}

export interface ReplayResult {
  /** Expected regret: sum over requests of (best arm's reward rate - chosen arm's). */
  regret: number;
  pulls: number[];
  reward: number;
}

/**
 * Replays `requests` requests against arms with known reward rates (each outcome drawn with the
 * seed): Thompson sampling, updated after every `batch` requests (as the Monitor does), or a
 * fixed split when `fixed` weights are given.
 */
export function replay(
  rates: readonly number[],
  requests: number,
  options: { seed: number; batch?: number; fixed?: readonly number[] },
): ReplayResult {
  const rng = createRng(options.seed);
  const arms = newArms(rates.map((_, i) => `v${i + 1}`));
  const best = Math.max(...rates);
  const pulls = rates.map(() => 0);
  const pending: [number, number][] = [];
  let regret = 0;
  let reward = 0;
  const batch = options.batch ?? 1;
  for (let t = 0; t < requests; t++) {
    let arm: number;
    if (options.fixed) {
      const u = rng();
      let acc = 0;
      arm = options.fixed.length - 1;
      for (let i = 0; i < options.fixed.length; i++) {
        acc += options.fixed[i];
        if (u < acc) {
          arm = i;
          break;
        }
      }
    } else {
      arm = chooseArm(arms, rng);
    }
    pulls[arm]++;
    regret += best - rates[arm];
    const r = rng() < rates[arm] ? 1 : 0;
    reward += r;
    pending.push([arm, r]);
    if (pending.length >= batch) {
      for (const [a, x] of pending) update(arms, a, x);
      pending.length = 0;
    }
  }
  return { regret, pulls, reward };
}
