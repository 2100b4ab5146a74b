/**
 * Which model answers a predict request: the registry's champion, or during a canary the
 * candidate for its share of requests. Bundles are cached per version; the champion pointer
 * and the traffic record are re-read at most every `refreshMs` (one registry read and one
 * artifact read per window, shared by concurrent requests), so a promotion or a canary reaches
 * every running server within that window without a redeploy. If a refresh fails while a
 * model is cached, the cached one keeps serving and `onRefreshError` is told.
 */
import { ArtifactNotFoundError } from "../errors.ts";
import { loadBundle, type ModelBundle, type Prediction } from "../model/bundle.ts";
import type { RawRow } from "../model/schema.ts";
import type { ArtifactStore, FeatureStore, ModelRegistry } from "../store.ts";
import { ServiceUnavailableError } from "./errors.ts";
import { type ExplainedPrediction, explainPredictions, servedCover } from "./explain-served.ts";
import { CachedFeatureReads, type LookedUp, lookupForModel } from "./online-features.ts";
import {
  activeArms,
  armAt,
  armPoint,
  decodeTraffic,
  routesToCandidate,
  type TrafficRecord,
  type TrafficStrategy,
  trafficKey,
} from "./traffic.ts";

/** The pipeline has no champion yet: nothing can predict until a run promotes a model. */
export class NoChampionError extends ServiceUnavailableError {}

export interface ServedModel {
  version: string;
  bundle: ModelBundle;
  /** True when this request went to a canary candidate (or an A/B or bandit challenger). */
  canary: boolean;
}

export interface ServedModelsOptions {
  pipeline: string;
  registry: ModelRegistry;
  artifacts: ArtifactStore;
  /** How long a read of the champion pointer is trusted. Default 5,000 ms; 0: every request. */
  refreshMs?: number;
  now?: () => number;
  onRefreshError?: (err: unknown) => void;
  /** The online store, for models that take features from feature views. */
  features?: FeatureStore;
  /** How long looked-up feature rows are reused (`CachedFeatureReads`). Default 1,000 ms; 0: never. */
  featureCacheMs?: number;
}

export const DEFAULT_FEATURE_CACHE_MS = 1000;

export const DEFAULT_REFRESH_MS = 5000;

/** Without request ids, arm points step by the golden ratio: evenly spread over any run. */
const GOLDEN = 0.6180339887498949;

interface Routed {
  version: string;
  bundle: Promise<ModelBundle>;
}

interface Routing {
  champion: Routed;
  /** A canary: the candidate with its share (its record has no `arms`). */
  canary: (Routed & { weight: number }) | null;
  /** An A/B test or a bandit: every arm, the champion first. */
  arms: (Routed & { weight: number })[] | null;
  strategy: TrafficStrategy | null;
}

/** What is being served, for /health. */
export interface ServingState {
  champion: string;
  canary: { version: string; weight: number } | null;
  /** Only during an A/B test or a bandit. */
  strategy?: TrafficStrategy;
  arms?: { version: string; weight: number }[];
}

export class ServedModels {
  readonly pipeline: string;
  private readonly options: ServedModelsOptions;
  private readonly bundles = new Map<string, Promise<ModelBundle>>();
  private readonly covers = new Map<string, Promise<Float64Array>>();
  private routing: Routing | null = null;
  private readAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<Routing> | null = null;
  private requests = 0;

  constructor(options: ServedModelsOptions) {
    this.options = options;
    this.pipeline = options.pipeline;
  }

  /**
   * The model for a request. With its `requestId`, the arm is chosen by a hash of it (the
   * same id, the same arm: a retry is answered by the version that answered first); without,
   * by a counter that keeps every arm's share exact over any run of requests.
   * `NoChampionError` (503) when there is no champion.
   */
  async next(requestId?: string): Promise<ServedModel> {
    const routing = await this.current();
    const n = this.requests++;
    if (routing.arms) {
      const point = requestId === undefined ? (n * GOLDEN) % 1 : armPoint(requestId);
      const i = armAt(routing.arms, point);
      const routed = routing.arms[i];
      const canary = routed.version !== routing.champion.version;
      return { version: routed.version, bundle: await routed.bundle, canary };
    }
    const canary =
      routing.canary !== null &&
      (requestId === undefined
        ? routesToCandidate(n, routing.canary.weight)
        : armPoint(requestId) < routing.canary.weight);
    const routed = canary && routing.canary ? routing.canary : routing.champion;
    return { version: routed.version, bundle: await routed.bundle, canary };
  }

  /** The champion's version and bundle (no canary routing): what `orchard predict` uses. */
  async champion(): Promise<{ version: string; bundle: ModelBundle }> {
    const routing = await this.current();
    return { version: routing.champion.version, bundle: await routing.champion.bundle };
  }

  /** `predictions` of `rows` by `model`, each with its TreeSHAP explanation (cover cached per version). */
  async explain(
    model: ServedModel,
    rows: RawRow[],
    predictions: Prediction[],
  ): Promise<ExplainedPrediction[]> {
    let cover = this.covers.get(model.version);
    if (!cover) {
      cover = servedCover(this.options, this.pipeline, model.version, model.bundle);
      this.covers.set(model.version, cover);
      cover.catch(() => this.covers.delete(model.version));
    }
    return explainPredictions(model.bundle, await cover, rows, predictions);
  }

  /** The view features `model` needs, from the online store (`online-features.ts`). */
  async lookup(model: ServedModel, rows: unknown[]): Promise<LookedUp> {
    const now = new Date(this.options.now?.() ?? Date.now());
    const looked = await lookupForModel(
      model.bundle,
      rows,
      this.featureReads(),
      now,
      `model ${model.version}`,
    );
    return looked ?? { rows, missing: rows.map(() => null) };
  }

  private cachedReads: CachedFeatureReads | null = null;

  private featureReads(): CachedFeatureReads | null {
    const { features, featureCacheMs, now } = this.options;
    if (!features) return null;
    this.cachedReads ??= new CachedFeatureReads(
      features,
      featureCacheMs ?? DEFAULT_FEATURE_CACHE_MS,
      now ?? (() => Date.now()),
    );
    return this.cachedReads;
  }

  /** Reads the routing if due and says what is served; NoChampionError when nothing is. */
  async ready(): Promise<ServingState | null> {
    await this.current();
    return this.describe();
  }

  /** What is being served, for /health: null before the first successful read. */
  describe(): ServingState | null {
    const r = this.routing;
    if (!r) return null;
    const canary = r.canary ? { version: r.canary.version, weight: r.canary.weight } : null;
    if (!r.arms || !r.strategy) return { champion: r.champion.version, canary };
    const arms = r.arms.map((a) => ({ version: a.version, weight: a.weight }));
    return { champion: r.champion.version, canary, strategy: r.strategy, arms };
  }

  private async current(): Promise<Routing> {
    const now = this.options.now?.() ?? Date.now();
    const refreshMs = this.options.refreshMs ?? DEFAULT_REFRESH_MS;
    if (this.routing && now - this.readAt < refreshMs) return this.routing;
    this.inFlight ??= this.read().finally(() => {
      this.inFlight = null;
    });
    try {
      const routing = await this.inFlight;
      this.routing = routing;
      this.readAt = now;
      return routing;
    } catch (err) {
      if (!this.routing || err instanceof NoChampionError) throw err;
      this.options.onRefreshError?.(err);
      return this.routing;
    }
  }

  private async read(): Promise<Routing> {
    const { registry, pipeline } = this.options;
    const champion = await registry.getChampion(pipeline);
    if (!champion) {
      throw new NoChampionError(
        `pipeline "${pipeline}" has no champion model yet; run the pipeline until a model is promoted`,
      );
    }
    const record = await this.readTraffic();
    const active = activeArms(record, champion.version);
    const championRouted: Routed = {
      version: champion.version,
      bundle: this.bundle(champion.version, champion.modelUri),
    };
    const others = await Promise.all(
      (active ?? []).slice(1).map(async (arm) => {
        const found = await registry.getVersion(pipeline, arm.version);
        return found
          ? { ...arm, bundle: this.bundle(found.version, found.modelUri) }
          : { ...arm, version: champion.version, bundle: championRouted.bundle };
      }),
    );
    const routed = active ? [{ ...active[0], bundle: championRouted.bundle }, ...others] : null;
    const withArms = routed !== null && record?.arms !== undefined;
    const canary = routed && !withArms ? routed[1] : null;
    const routing: Routing = {
      champion: championRouted,
      // A version missing from the registry answers nothing: its share goes to the champion.
      canary: canary && canary.version !== champion.version ? canary : null,
      arms: withArms ? routed : null,
      strategy: withArms ? (record?.strategy ?? "canary") : null,
    };
    // Only the versions served stay cached: old models do not pile up.
    const keep = new Set((routed ?? [championRouted]).map((r) => r.version));
    for (const version of this.bundles.keys()) if (!keep.has(version)) this.bundles.delete(version);
    await Promise.all((routed ?? [championRouted]).map((r) => r.bundle));
    return routing;
  }

  private bundle(version: string, uri: string): Promise<ModelBundle> {
    const cached = this.bundles.get(version);
    if (cached) return cached;
    const bundle = this.load(uri);
    this.bundles.set(version, bundle);
    // A failed load is not cached: the next refresh tries again.
    bundle.catch(() => {
      if (this.bundles.get(version) === bundle) this.bundles.delete(version);
    });
    return bundle;
  }

  private async load(uri: string): Promise<ModelBundle> {
    return loadBundle(await this.options.artifacts.get(uri), uri);
  }

  private async readTraffic(): Promise<TrafficRecord | null> {
    const { artifacts, pipeline } = this.options;
    const uri = artifacts.uriFor("artifacts", trafficKey(pipeline));
    try {
      return decodeTraffic(await artifacts.get(uri), uri);
    } catch (err) {
      if (err instanceof ArtifactNotFoundError) return null;
      throw err;
    }
  }
}
