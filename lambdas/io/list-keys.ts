/**
 * `ListKeys` (pipeline/monitor/store.ts) over S3: every key under a prefix of the artifacts
 * bucket, all pages. The Monitor reads the captures and labels of a window this way.
 */

import type { ListKeys } from "../../pipeline/monitor/store.ts";
import type { ArtifactStore } from "../../pipeline/store.ts";
import { parseS3Uri } from "../../pipeline/store.ts";
import { s3BatchObjects } from "../batch-score.ts";
import { storageClients } from "./clients.ts";

export function artifactKeyLister(artifacts: ArtifactStore): ListKeys {
  return async (prefix) => {
    const uris = await s3BatchObjects(storageClients().s3).list(
      artifacts.uriFor("artifacts", prefix),
    );
    return uris.map((uri) => parseS3Uri(uri).key);
  };
}
