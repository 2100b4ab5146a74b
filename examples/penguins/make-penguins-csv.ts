/**
 * Regenerates examples/penguins/penguins.csv from the vega-datasets npm package
 * (`npx tsx examples/penguins/make-penguins-csv.ts`). Columns are renamed to snake_case and a
 * stable entity id is added; values are copied as they are (missing stays empty).
 */
import { readFileSync, writeFileSync } from "node:fs";

// The package exports only its JS API; the data files sit beside it in the installed package.
const source = new URL("../../node_modules/vega-datasets/data/penguins.json", import.meta.url);
const rows = JSON.parse(readFileSync(source, "utf8")) as Record<string, string | number | null>[];

const columns: [string, string][] = [
  ["species", "Species"],
  ["island", "Island"],
  ["bill_length_mm", "Beak Length (mm)"],
  ["bill_depth_mm", "Beak Depth (mm)"],
  ["flipper_length_mm", "Flipper Length (mm)"],
  ["body_mass_g", "Body Mass (g)"],
  ["sex", "Sex"],
];

const cell = (v: string | number | null | undefined) =>
  v === null || v === undefined || v === "." ? "" : String(v);
const lines = [["penguin_id", ...columns.map(([name]) => name)].join(",")];
rows.forEach((row, i) => {
  lines.push(
    [`p${String(i + 1).padStart(3, "0")}`, ...columns.map(([, key]) => cell(row[key]))].join(","),
  );
});
writeFileSync(new URL("./penguins.csv", import.meta.url), `${lines.join("\n")}\n`);
