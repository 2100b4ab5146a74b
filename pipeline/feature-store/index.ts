/** Feature views: definitions, computation, the point-in-time join, offline and online stores. */

export { computeFeatureRecords, type FeatureRecord } from "./compute.ts";
export { durationMs } from "./duration.ts";
export { entityKey, formatEventTime, keyReader, parseEventTime } from "./keys.ts";
export {
  EVENT_TIME_COLUMN,
  manifestKey,
  ONLINE_EVENT_TIME,
  onlineFeatureSet,
  readManifest,
  type ViewManifest,
  viewVersion,
} from "./offline.ts";
export { parseView } from "./parse-view.ts";
export {
  indexRecords,
  type JoinedRow,
  type JoinQuery,
  pointInTimeJoin,
  recordAsOf,
  withinTtl,
} from "./point-in-time.ts";
export {
  joinFeatureViews,
  loadViewRecords,
  tableToJsonl,
  type ViewLineage,
} from "./training-set.ts";
export type * from "./types.ts";
