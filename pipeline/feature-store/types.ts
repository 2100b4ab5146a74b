/**
 * A feature view after `parseView`: every default filled in. A view names a source with an
 * event-time column, the entity join keys, and features that are either a source column as
 * it is or an aggregate of a source column per entity over a trailing window, as of each
 * row's event time, or a derived expression (the spec's `features.derived` language, evaluated
 * by the same function) over the source row's columns and the view's features listed above it.
 */

import type { SourceSpec } from "../spec/types.ts";
import type { Aggregate } from "./view-schema.ts";

export type { Aggregate } from "./view-schema.ts";

export interface ColumnFeature {
  kind: "column";
  name: string;
  /** The source column; defaults to `name`. */
  column: string;
}

export interface WindowFeature {
  kind: "window";
  name: string;
  column: string;
  aggregate: Aggregate;
  /** As written, e.g. `7d`. */
  window: string;
  windowMs: number;
}

export interface DerivedViewFeature {
  kind: "derived";
  name: string;
  /** As written, e.g. `ratio(price, price_mean_7d)`. */
  expression: string;
}

export type ViewFeature = ColumnFeature | WindowFeature | DerivedViewFeature;

export interface FeatureView {
  name: string;
  description: string;
  owner: string;
  tags: Record<string, string>;
  /** Join key columns, in the order the entity key is built from. */
  entities: string[];
  /** The event-time column (ISO-8601 text, or a date). */
  timestamp: string;
  source: SourceSpec;
  /** As written, e.g. `30d`. */
  ttl: string;
  ttlMs: number;
  features: ViewFeature[];
}
