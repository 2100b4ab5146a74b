/**
 * `"explain": true` on the predict API: every prediction comes back with its TreeSHAP
 * explanation (adding up to the explained output), through `handleRequest` and through
 * `orchard serve`'s HTTP transport; a non-boolean `explain` is a 400 naming the field, and a
 * model that cannot explain is a 501 saying why.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startHttpServer } from "../../cli/serve/http-server.ts";
import type { ModelBundle } from "../../pipeline/model/bundle.ts";
import { handleRequest, type PredictService } from "../../pipeline/serving/handle.ts";
import { ServedModels } from "../../pipeline/serving/served-models.ts";
import { memoryServing, PIPELINE, post, storeCover, trainBundle } from "./fixtures.ts";

let classifier: ModelBundle;
let regressor: ModelBundle;
let running: RunningServer | undefined;

beforeAll(async () => {
  classifier = await trainBundle("classification");
  regressor = await trainBundle("regression");
});

afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function service(bundle: ModelBundle = classifier, withCover = true) {
  const stores = memoryServing();
  const version = await stores.promote(bundle);
  const model = await stores.registry.getVersion(PIPELINE, version);
  if (withCover && model) await storeCover(stores.artifacts, bundle, model.modelUri);
  return new ServedModels({ pipeline: PIPELINE, ...stores, refreshMs: 0 });
}

async function answer(body: unknown, svc?: PredictService) {
  const { response } = await handleRequest(post(body), svc ?? (await service()));
  return { status: response.status, json: JSON.parse(response.body) };
}

interface Explained {
  prediction: string | number;
  probabilities?: Record<string, number>;
  explanation: {
    class: string | null;
    expectedValue: number;
    output: number;
    contributions: Record<string, number>;
  };
}

const rows = [
  { x: 9, colour: "red" },
  { x: 1, colour: "blue" },
  { x: null, colour: null },
];

describe('POST /predict with "explain": true', () => {
  it("explains each classification in order: the predicted class, contributions adding up to its probability", async () => {
    const r = await answer({ rows, explain: true });
    expect(r.status).toBe(200);
    const predictions = r.json.predictions as Explained[];
    expect(predictions).toHaveLength(rows.length);
    for (const p of predictions) {
      expect(p.explanation.class).toBe(p.prediction);
      expect(Object.keys(p.explanation.contributions).sort()).toEqual(["colour", "x"]);
      const sum = Object.values(p.explanation.contributions).reduce((a, b) => a + b, 0);
      expect(p.explanation.expectedValue + sum).toBeCloseTo(p.explanation.output, 9);
      expect(p.explanation.output).toBeCloseTo(
        p.probabilities?.[p.prediction as string] ?? Number.NaN,
        9,
      );
    }
  });

  it("keeps the predictions themselves identical to an unexplained request", async () => {
    const svc = await service();
    const plain = await answer({ rows }, svc);
    const explained = await answer({ rows, explain: true }, svc);
    expect(
      (explained.json.predictions as Explained[]).map(({ explanation: _, ...p }) => p),
    ).toEqual(plain.json.predictions);
  });

  it("explains a regression value", async () => {
    const r = await answer({ rows, explain: true }, await service(regressor));
    expect(r.status).toBe(200);
    for (const p of r.json.predictions as Explained[]) {
      expect(p.explanation.class).toBeNull();
      expect(p.explanation.output).toBeCloseTo(p.prediction as number, 9);
    }
  });

  it.each([[{ rows, explain: false }], [{ rows }]])(
    "returns no explanation for %j",
    async (body) => {
      const r = await answer(body);
      expect(r.status).toBe(200);
      for (const p of r.json.predictions) expect(p).not.toHaveProperty("explanation");
    },
  );

  it.each([["true"], [1], [null], [{}], [[true]]])(
    '"explain": %j is a 400 naming the field',
    async (explain) => {
      const r = await answer({ rows, explain });
      expect(r.status).toBe(400);
      expect(r.json.error.name).toBe("BadRequestError");
      expect(r.json.error.message).toMatch(/"explain"/);
      expect(r.json.error.message).toMatch(/true or false/);
    },
  );

  it("is a 501 naming the missing explainer when the model has no stored cover", async () => {
    const r = await answer({ rows, explain: true }, await service(classifier, false));
    expect(r.status).toBe(501);
    expect(r.json.error.name).toBe("ExplanationUnavailableError");
    expect(r.json.error.message).toMatch(/has no explainer/);
  });

  it("is a 501 from a service that cannot explain", async () => {
    const svc = await service();
    const plain: PredictService = {
      pipeline: svc.pipeline,
      next: () => svc.next(),
      describe: () => svc.describe(),
    };
    const r = await answer({ rows, explain: true }, plain);
    expect(r.status).toBe(501);
    expect(r.json.error.message).toMatch(/does not explain/);
  });
});

describe("orchard serve: explain over HTTP", () => {
  it("answers explained predictions and refuses a non-boolean explain", async () => {
    running = await startHttpServer({ service: await service(), port: 0 });
    const send = async (body: unknown) => {
      const res = await fetch(`${running?.url}/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return {
        status: res.status,
        json: (await res.json()) as { predictions: Explained[]; error: { message: string } },
      };
    };
    const good = await send({ rows, explain: true });
    expect(good.status).toBe(200);
    expect(good.json.predictions.map((p) => p.explanation.class)).toEqual([
      "big",
      "small",
      good.json.predictions[2].prediction,
    ]);
    const bad = await send({ rows, explain: "yes" });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/"explain"/);
  });
});
