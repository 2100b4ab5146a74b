/**
 * A 5 s soak of `orchard serve`'s HTTP transport (the 60 s one is `npm run soak`): 500
 * requests/s over 10 keep-alive connections, then idle past the keep-alive timeout. No
 * request fails, open descriptors return to the start, RSS does not climb.
 * In-process, so the descriptors and RSS are this worker's (the load generator's included).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { soak } from "../../bench/serve-harness.ts";
import { type RunningServer, startHttpServer } from "../../cli/serve/http-server.ts";
import { ServedModels } from "../../pipeline/serving/served-models.ts";
import { memoryServing, PIPELINE, trainBundle } from "./fixtures.ts";

let running: RunningServer;

beforeAll(async () => {
  const stores = memoryServing();
  await stores.promote(await trainBundle());
  running = await startHttpServer({
    service: new ServedModels({ pipeline: PIPELINE, ...stores }),
    port: 0,
    timeouts: { keepAliveTimeoutMs: 500, checkIntervalMs: 100 },
  });
});

afterAll(async () => {
  await running.close();
});

describe("soak (5 s)", () => {
  it("serves 500 req/s without errors; descriptors and RSS come back", async () => {
    const body = JSON.stringify({ rows: [{ x: 9, colour: "red" }] });
    const r = await soak(running.url, process.pid, {
      seconds: 5,
      rate: 500,
      connections: 10,
      idleMs: 1500,
      body,
    });
    expect(r.load.requests).toBeGreaterThan(2000);
    expect(r.load.errors + r.load.timeouts + r.load.non2xx).toBe(0);
    expect(r.loaded.fds).toBeGreaterThanOrEqual(r.start.fds);
    expect(r.end.fds).toBeLessThanOrEqual(r.start.fds + 2);
    expect(r.end.rssMb).toBeLessThan(r.start.rssMb + 64);
  }, 20_000);
});
