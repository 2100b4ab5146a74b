import { decodeDataset, type PreparedDataset } from "./dataset.ts";
import type { StepDeps } from "./types.ts";

/** The prepared dataset at `uri`; content-addressed, so a decoded copy is kept per URI. */
const cache = new Map<string, PreparedDataset>();
const MAX_CACHED = 4;

export async function loadDataset(deps: StepDeps, uri: string): Promise<PreparedDataset> {
  let data = cache.get(uri);
  if (!data) {
    data = decodeDataset(await deps.artifacts.get(uri), uri);
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
    cache.set(uri, data);
  }
  return data;
}
