/**
 * The report's HTML building blocks: escaping, tables, sections and the page shell. One
 * static page: inline CSS, inline SVG, no script, and a Content-Security-Policy that forbids
 * every network request, so it opens the same from S3, a laptop or an e-mail attachment.
 * Semantic structure for assistive technology: landmarks, a skip link, headed sections,
 * captioned tables and figures; colours meet WCAG AA contrast on white.
 */

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Numbers as people read them: integers whole, others to 4 significant digits. */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return "—";
  if (!Number.isFinite(x)) return x > 0 ? "∞" : "−∞";
  if (Number.isInteger(x)) return x.toLocaleString("en-US");
  return Number(x.toPrecision(4)).toString();
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

/** A trusted HTML fragment (already escaped). */
export interface Html {
  html: string;
}

export const raw = (html: string): Html => ({ html });

type Cell = string | number | null | Html;

function cell(c: Cell): string {
  if (c !== null && typeof c === "object") return c.html;
  if (typeof c === "number") return escapeHtml(fmt(c));
  return escapeHtml(c ?? "—");
}

export function table(caption: string, headers: string[], rows: Cell[][], numericFrom = 1): string {
  const th = headers
    .map((h, i) => `<th scope="col"${i >= numericFrom ? ' class="num"' : ""}>${escapeHtml(h)}</th>`)
    .join("");
  const body = rows
    .map(
      (r) =>
        `<tr>${r
          .map((c, i) =>
            i === 0
              ? `<th scope="row">${cell(c)}</th>`
              : `<td${i >= numericFrom ? ' class="num"' : ""}>${cell(c)}</td>`,
          )
          .join("")}</tr>`,
    )
    .join("\n");
  return `<div class="table-wrap"><table><caption>${escapeHtml(caption)}</caption><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

export function definitionList(items: [string, Cell][]): string {
  return `<dl class="facts">${items.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${cell(v)}</dd></div>`).join("")}</dl>`;
}

export function figure(id: string, svg: string, caption: string): string {
  return `<figure class="chart" id="chart-${escapeHtml(id)}" data-chart="${escapeHtml(id)}">${svg}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

export function section(id: string, title: string, body: string): string {
  return `<section id="${id}" aria-labelledby="${id}-h"><h2 id="${id}-h">${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

export function note(text: string): string {
  return `<p class="note">${escapeHtml(text)}</p>`;
}

export const PAGE_CSS = `
:root { color-scheme: light; --ink: #1f2933; --muted: #52606d; --line: #cbd2d9; --accent: #1b5e9b; --bad: #a61b1b; --good: #1e6b30; --bg: #ffffff; --panel: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
.skip { position: absolute; left: -9999px; top: 0; background: var(--ink); color: #fff; padding: .5rem 1rem; }
.skip:focus { left: 1rem; z-index: 10; }
header { padding: 1.5rem 2rem 1rem; border-bottom: 1px solid var(--line); }
h1 { margin: 0 0 .25rem; font-size: 1.6rem; }
h2 { margin: 2rem 0 .75rem; font-size: 1.3rem; border-bottom: 2px solid var(--accent); padding-bottom: .25rem; }
h3 { margin: 1.25rem 0 .5rem; font-size: 1.05rem; }
nav { padding: .5rem 2rem; background: var(--panel); border-bottom: 1px solid var(--line); }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1rem; margin: 0; padding: 0; }
a { color: var(--accent); }
a:focus-visible, summary:focus-visible { outline: 3px solid #f0b429; outline-offset: 2px; }
main { padding: 0 2rem 3rem; max-width: 1200px; }
.status { display: inline-block; font-weight: 600; padding: .15rem .6rem; border-radius: 4px; color: #fff; }
.status-ok { background: var(--good); } .status-bad { background: var(--bad); } .status-neutral { background: var(--muted); }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: .5rem 1.5rem; margin: 1rem 0; }
.facts div { min-width: 0; } .facts dt { color: var(--muted); font-size: .85rem; } .facts dd { margin: 0; overflow-wrap: anywhere; }
.table-wrap { overflow-x: auto; margin: .75rem 0; }
table { border-collapse: collapse; min-width: 50%; font-size: .9rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .75rem .3rem 0; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5rem; }
figure.chart { margin: .5rem 0; max-width: 100%; overflow-x: auto; }
figure.chart svg { max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: .85rem; max-width: 420px; }
.note { color: var(--muted); }
.error { border-left: 4px solid var(--bad); padding: .5rem 1rem; background: #fdf2f2; white-space: pre-wrap; overflow-wrap: anywhere; }
details { margin: .5rem 0; } summary { cursor: pointer; font-weight: 600; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85em; overflow-wrap: anywhere; }
`;

export function page(options: {
  title: string;
  heading: string;
  header: string;
  nav: { id: string; title: string }[];
  body: string;
}): string {
  const nav = options.nav
    .map((n) => `<li><a href="#${n.id}">${escapeHtml(n.title)}</a></li>`)
    .join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<title>${escapeHtml(options.title)}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<a class="skip" href="#main">Skip to the report</a>
<header>
<h1>${escapeHtml(options.heading)}</h1>
${options.header}
</header>
<nav aria-label="Report sections"><ul>${nav}</ul></nav>
<main id="main" tabindex="-1">
${options.body}
</main>
</body>
</html>
`;
}
