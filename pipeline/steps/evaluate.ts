/**
 * Evaluate: compares this run's model with the champion on held-out rows that neither model
 * was trained on, applies the gate, and registers the model as a new registry version,
 * approved or rejected. Only Promote moves the champion pointer.
 *
 * The champion is re-scored on this run's test rows minus those its own split put on the
 * training side (its bundle records the split: the hash seed and fraction, or the time it
 * trained up to), and the challenger is scored on the same rows. Without a hash split that
 * would be about half the test set after the data grew; with it, the same seed and fraction
 * leave every test row in. When that cannot be worked out (an older bundle, another key or
 * time column) or the champion cannot read the new data (a schema change), its recorded metric
 * is used and the reasons say why.
 */
import { takeRows } from "../data/frame.ts";
import { ArtifactError, OrchardError } from "../errors.ts";
import { loadBundle, type ModelBundle } from "../model/bundle.ts";
import { decidePromotion } from "../model/gate.ts";
import type { Metric } from "../spec/types.ts";
import { HASH_SPLIT_SCHEME, hashTrainedOn, sameDigests } from "../split/hash-split.ts";
import { describeSplitKey, type SplitRecord, sameSplitKey } from "../split/split-record.ts";
import type { ModelVersion } from "../store.ts";
import { metricValue } from "../train/cross-validate.ts";
import { type FittedModel, scoreModel, takeTarget } from "../train/fit.ts";
import { loadSpec, need } from "./context.ts";
import type { PreparedDataset } from "./dataset.ts";
import { loadDataset } from "./load-dataset.ts";
import type { EvaluateOutput, RunState, StepDeps } from "./types.ts";

type ChampionComparison = NonNullable<EvaluateOutput["champion"]>;

export async function evaluate(state: RunState, deps: StepDeps): Promise<EvaluateOutput> {
  const spec = await loadSpec(deps, state);
  const selected = need(state, "select");
  const metric = spec.gate.metric;
  const value = metricValue(selected.metrics, metric);
  const current = await deps.registry.getChampion(spec.name);
  const compared = current ? await compareWithChampion(deps, state, current, metric, value) : null;
  const champion = compared?.champion ?? null;
  const decision = decidePromotion(
    spec.gate,
    value,
    champion && {
      version: champion.version,
      value: champion.value,
      challenger: champion.challengerValue,
      rows: compared?.unseen ? champion.rows : null,
    },
  );
  if (compared?.note) decision.reasons.push(compared.note);
  const registered = await deps.registry.registerVersion(spec.name, {
    modelUri: selected.modelUri,
    metrics: finiteMetrics(selected.metrics),
    params: { ...selected.best.params },
    lineage: selected.lineage,
    status: decision.promote ? "approved" : "rejected",
  });
  return {
    version: registered.version,
    promote: decision.promote,
    reasons: decision.reasons,
    metric,
    value,
    champion,
  };
}

async function compareWithChampion(
  deps: StepDeps,
  state: RunState,
  champion: ModelVersion,
  metric: Metric,
  value: number,
): Promise<{ champion: ChampionComparison; note: string | null; unseen: boolean }> {
  const stored = champion.metrics[metric];
  const prepared = need(state, "preprocess");
  const selected = need(state, "select");
  if (champion.modelUri === selected.modelUri) {
    // Content-addressed: the champion is this run's model, byte for byte (a rerun on the same
    // data), split record included, so it trained on none of this run's test rows and scores
    // them exactly as the challenger did. Re-scoring it would only repeat Select's work.
    return {
      champion: {
        version: champion.version,
        value,
        source: "rescored",
        rows: prepared.rows.test,
        challengerValue: value,
      },
      note: `champion ${champion.version} is this run's model (the same bytes), so it scores ${metric} ${value.toFixed(4)} on the same test rows`,
      unseen: true,
    };
  }
  let data: PreparedDataset | null = null;
  let bundle: ModelBundle | null = null;
  const recorded = (why: string) => {
    if (stored === undefined && data && bundle) {
      // Nothing fairer to compare with: both on every test row, which can only favour the
      // champion, so no worse model gets promoted by it.
      const championValue = metricOn(bundle, data, data.test, metric);
      if (championValue !== undefined) {
        return {
          champion: {
            version: champion.version,
            value: championValue,
            source: "rescored" as const,
            rows: data.test.length,
            challengerValue: value,
          },
          note: `champion ${champion.version} ${why} and has no recorded ${metric}, so both were compared on all ${data.test.length} test rows, some of which it may have trained on`,
          unseen: false,
        };
      }
    }
    if (stored === undefined) {
      throw new ArtifactError(
        `champion ${champion.version} ${why}, and it has no recorded ${metric} to compare with; set gate.metric to one it recorded, or promote a version by hand (orchard promote)`,
      );
    }
    return {
      champion: {
        version: champion.version,
        value: stored,
        source: "stored" as const,
        rows: null,
        challengerValue: value,
      },
      note: `champion ${champion.version} ${why}, so its recorded ${metric} was used`,
      unseen: false,
    };
  };
  try {
    bundle = loadBundle(await deps.artifacts.get(champion.modelUri), champion.modelUri);
    data = await loadDataset(deps, prepared.datasetUri);
    const rows = rowsUnseenBy(bundle.header.split, prepared.split, data);
    if (typeof rows === "string") return recorded(rows);
    if (rows.length === 0) {
      return recorded(`may have trained on every one of this run's ${data.test.length} test rows`);
    }
    const championValue = metricOn(bundle, data, rows, metric);
    const all = rows.length === data.test.length;
    const challengerValue = all
      ? value
      : metricOn(loadBundle(await deps.artifacts.get(selected.modelUri)), data, rows, metric);
    if (championValue === undefined || challengerValue === undefined) {
      return recorded(
        `could not be compared on the ${rows.length} test rows it did not train on (${metric} is undefined there, e.g. a class is missing)`,
      );
    }
    const left = data.test.length - rows.length;
    return {
      champion: {
        version: champion.version,
        value: championValue,
        source: "rescored",
        rows: rows.length,
        challengerValue,
      },
      note: all
        ? null
        : `${left} of this run's ${data.test.length} test rows were left out of the comparison: champion ${champion.version} may have trained on them`,
      unseen: true,
    };
  } catch (err) {
    // Only a champion that cannot read this data falls back; storage failures must surface.
    if (!(err instanceof OrchardError) || err.name === "StorageUnavailableError") throw err;
    if (stored === undefined) throw err;
    data = null;
    return recorded("could not score this data");
  }
}

/**
 * This run's test rows that the champion cannot have trained on, by the split its bundle
 * records; a sentence saying why when that cannot be told.
 */
function rowsUnseenBy(
  champion: SplitRecord | undefined,
  run: SplitRecord | undefined,
  data: PreparedDataset,
): Int32Array | string {
  if (!champion) return "does not record how its training rows were chosen (an older bundle)";
  if (!run || !data.splitKeys) return "cannot be matched to this run's rows (re-run Preprocess)";
  let trained: Uint8Array;
  if (champion.strategy === "time") {
    if (run.strategy !== "time" || run.column !== champion.column || run.unit !== champion.unit) {
      const ours = run.strategy === "time" ? `by "${run.column}"` : "by a hash of each row's key";
      return `was split by time column "${champion.column}" and this run ${ours}`;
    }
    const times = data.times;
    if (!times) return "cannot be matched to this run's rows (re-run Preprocess)";
    trained = Uint8Array.from(data.test, (r) => (times[r] <= champion.trainUntil ? 1 : 0));
  } else {
    // This run's digests are of its record's scheme; a time split's, of this Orchard's.
    const ours = run.strategy === "time" ? HASH_SPLIT_SCHEME : run.scheme;
    if (!sameDigests(champion.scheme, ours, champion.key.kind)) {
      return `was split by hash scheme ${champion.scheme} and this run's rows are keyed by scheme ${ours}`;
    }
    if (!sameSplitKey(champion.key, run.key)) {
      return `keyed its rows by ${describeSplitKey(champion.key)} and this run by ${describeSplitKey(run.key)}`;
    }
    trained = hashTrainedOn(data.splitKeys, data.test, champion);
  }
  return data.test.filter((_, i) => trained[i] === 0);
}

function metricOn(
  model: FittedModel,
  data: PreparedDataset,
  rows: Int32Array,
  metric: Metric,
): number | undefined {
  const metrics = scoreModel(model, takeRows(data.frame, rows), takeTarget(data.target, rows));
  return (metrics as unknown as Record<string, number | undefined>)[metric];
}

function finiteMetrics(metrics: object): Record<string, number> {
  return Object.fromEntries(
    Object.entries(metrics).filter(([, v]) => typeof v === "number" && Number.isFinite(v)),
  );
}
