/**
 * One reading of a row at every door: the same raw rows, written as a CSV file, a JSON Lines
 * file and a POST /predict body, scored by `orchard predict`'s reader, batch scoring and the
 * predict request handler (the Lambda's and `orchard serve`'s), give identical predictions,
 * or are refused at the same row and column.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { parseRows } from "../../cli/read-rows.ts";
import { readCsv } from "../../pipeline/data/read-csv.ts";
import { OrchardError } from "../../pipeline/errors.ts";
import type { ModelBundle, Prediction } from "../../pipeline/model/bundle.ts";
import { handleRequest } from "../../pipeline/serving/handle.ts";
import { ServedModels } from "../../pipeline/serving/served-models.ts";
import { predictIn, scoreFile } from "../../pipeline/steps/batch-score.ts";
import { memoryServing, PIPELINE, post, trainBundle } from "./fixtures.ts";

type Raw = string | number | boolean | null;
type Outcome = { predictions: Prediction[] } | { refused: { row?: number; column?: string } };

let bundle: ModelBundle;
let served: ServedModels;

beforeAll(async () => {
  bundle = await trainBundle("classification");
  const stores = memoryServing();
  await stores.promote(bundle);
  served = new ServedModels({ pipeline: PIPELINE, ...stores, refreshMs: 0 });
});

const COLUMNS = ["id", "x", "colour", "size"] as const;
const bytes = (text: string) => new TextEncoder().encode(text);
const csvField = (v: Raw) => (v === null ? "" : `"${String(v).replaceAll('"', '""')}"`);

function asCsv(rows: Record<string, Raw>[]): Uint8Array {
  const lines = [
    COLUMNS.join(","),
    ...rows.map((r) => COLUMNS.map((c) => csvField(r[c])).join(",")),
  ];
  return bytes(`${lines.join("\n")}\n`);
}
const asJsonl = (rows: Record<string, Raw>[]) =>
  bytes(`${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);

async function outcome(run: () => Prediction[] | Promise<Prediction[]>): Promise<Outcome> {
  try {
    return { predictions: JSON.parse(JSON.stringify(await run())) };
  } catch (err) {
    if (!(err instanceof OrchardError)) throw err;
    return { refused: { row: err.location.row, column: err.location.column } };
  }
}

/** The predictions columns of a batch-scored CSV, back as Prediction objects. */
async function batchCsv(rows: Record<string, Raw>[]): Promise<Prediction[]> {
  const out = readCsv((await scoreFile(bundle, asCsv(rows), "csv", "in.csv")).bytes, "out.csv");
  const col = (name: string) => out.columns[out.names.indexOf(name)];
  return Array.from({ length: out.rowCount }, (_, r) => ({
    prediction: col("prediction")[r] as string,
    probabilities: {
      big: Number(col("probability_big")[r]),
      small: Number(col("probability_small")[r]),
    },
  }));
}

async function http(rows: Record<string, Raw>[]): Promise<Outcome> {
  const { response } = await handleRequest(post({ rows }), served);
  const json = JSON.parse(response.body);
  if (response.status === 200) return { predictions: json.predictions };
  expect(response.status).toBe(400);
  return { refused: { row: json.error.row, column: json.error.column } };
}

async function doors(rows: Record<string, Raw>[]): Promise<Record<string, Outcome>> {
  return {
    "orchard predict, CSV": await outcome(() =>
      predictIn(bundle, parseRows(asCsv(rows), "csv", "in.csv"), "in.csv"),
    ),
    "orchard predict, JSON Lines": await outcome(() =>
      predictIn(bundle, parseRows(asJsonl(rows), "jsonl", "in.jsonl"), "in.jsonl"),
    ),
    "batch scoring, CSV": await outcome(() => batchCsv(rows)),
    "batch scoring, JSON Lines": await outcome(async () =>
      new TextDecoder()
        .decode((await scoreFile(bundle, asJsonl(rows), "jsonl", "in.jsonl")).bytes)
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line)),
    ),
    "POST /predict": await http(rows),
  };
}

const number = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
const xCell: fc.Arbitrary<Raw> = fc.oneof(
  number,
  number.map(String),
  number.map((n) => `  ${n} `),
  fc.constantFrom(
    "",
    " ",
    "NA",
    " NaN ",
    "null",
    null,
    "0x10",
    "Infinity",
    "-inf",
    "tall",
    "1,5",
    "88",
  ),
);
const colourCell: fc.Arbitrary<Raw> = fc.oneof(
  fc.constantFrom(
    "red",
    " red ",
    "blue",
    "\tblue",
    "NA",
    "",
    " ",
    "null",
    null,
    "Dream",
    " Dream ",
  ),
  fc.integer({ min: -3, max: 3 }),
  fc.boolean(),
);
const rowArb = fc.record({
  id: fc.integer({ min: 1, max: 1000 }),
  x: xCell,
  colour: colourCell,
  size: fc.constantFrom("big", "small", "", "NA"),
});

describe("every door reads a row the same way", () => {
  it("gives identical predictions or the same refusal (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 6 }), async (rows) => {
        const seen = await doors(rows);
        const first = seen["POST /predict"];
        for (const [door, got] of Object.entries(seen)) {
          expect({ door, got }).toEqual({ door, got: first });
        }
      }),
      { numRuns: 150 },
    );
  });

  it.each([
    ["a trimmed category", { x: 9, colour: " red " }, { x: 9, colour: "red" }],
    ["a missing-token category", { x: 9, colour: "NA" }, { x: 9, colour: null }],
    ["a blank number", { x: " ", colour: "red" }, { x: null, colour: "red" }],
    ["a missing-token number", { x: "NA", colour: "red" }, { x: null, colour: "red" }],
    ["a number as text", { x: " 88 ", colour: "red" }, { x: 88, colour: "red" }],
  ])("reads %s as training does, at every door", async (_, raw, clean) => {
    const expected = { predictions: JSON.parse(JSON.stringify(bundle.predict([clean]))) };
    for (const got of Object.values(await doors([{ id: 1, size: "big", ...raw }]))) {
      expect(got).toEqual(expected);
    }
  });

  it.each(["0x10", "Infinity", "1,5", "tall"])(
    "refuses %j for a number at every door",
    async (x) => {
      for (const got of Object.values(
        await doors([
          { id: 1, x: 1, colour: "red" },
          { id: 2, x, colour: "red" },
        ]),
      )) {
        expect(got).toEqual({ refused: { row: 2, column: "x" } });
      }
    },
  );
});
