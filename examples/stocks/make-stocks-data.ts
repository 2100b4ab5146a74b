/**
 * Regenerates the stocks example's data from the vega-datasets npm package
 * (`npx tsx examples/stocks/make-stocks-data.ts`): monthly closing prices of five symbols,
 * 2000-01 to 2010-03 (vega-datasets `stocks.csv`).
 *
 * - `prices.csv` (symbol, date, price): the event data the `stock_prices` view is built on,
 *   dates rewritten from `Jan 1 2000` to ISO `2000-01-01`.
 * - `direction.csv` (symbol, date, direction): per symbol and month, whether the price one
 *   month later is higher (`up`) or not (`down`); the rows a classification pipeline trains on.
 * - `next-return.csv` (symbol, date, next_return): the same months' next-month return in
 *   percent, for a regression pipeline that shares the view.
 * The last month of each symbol has no next month and is left out of both label files.
 */
import { readFileSync, writeFileSync } from "node:fs";

// The package exports only its JS API; the data files sit beside it in the installed package.
const source = new URL("../../node_modules/vega-datasets/data/stocks.csv", import.meta.url);
const [header, ...lines] = readFileSync(source, "utf8").trim().split(/\r?\n/);
if (header !== "symbol,date,price") throw new Error(`unexpected header ${header}`);

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
function isoDate(text: string): string {
  const m = /^([A-Z][a-z]{2}) (\d{1,2}) (\d{4})$/.exec(text);
  const month = m ? MONTHS.indexOf(m[1]) : -1;
  if (!m || month < 0) throw new Error(`unexpected date ${text}`);
  return `${m[3]}-${String(month + 1).padStart(2, "0")}-${m[2].padStart(2, "0")}`;
}

const rows = lines.map((line) => {
  const [symbol, date, price] = line.split(",");
  return { symbol, date: isoDate(date), price: Number(price) };
});
const write = (name: string, head: string, body: string[]) =>
  writeFileSync(new URL(`./${name}`, import.meta.url), `${[head, ...body].join("\n")}\n`);

write(
  "prices.csv",
  "symbol,date,price",
  rows.map((r) => `${r.symbol},${r.date},${r.price}`),
);

const direction: string[] = [];
const returns: string[] = [];
rows.forEach((r, i) => {
  const next = rows[i + 1];
  if (!next || next.symbol !== r.symbol) return;
  direction.push(`${r.symbol},${r.date},${next.price > r.price ? "up" : "down"}`);
  returns.push(`${r.symbol},${r.date},${(((next.price - r.price) / r.price) * 100).toFixed(4)}`);
});
write("direction.csv", "symbol,date,direction", direction);
write("next-return.csv", "symbol,date,next_return", returns);
