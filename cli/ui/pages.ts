/**
 * The pages of `orchard ui`, server-rendered from the run records under the state directory
 * (cli/ui/run-records.ts): no script, the report's stylesheet, landmarks, captioned tables,
 * visible focus, and links for everything (keyboard users tab through them).
 */
import { escapeHtml, fmt, PAGE_CSS } from "../../pipeline/report/html.ts";
import type { RegistrySnapshot, RunRecord } from "./run-records.ts";

const UI_CSS = `${PAGE_CSS}
.crumbs { margin: 0; padding: 0; list-style: none; display: flex; gap: .5rem; }
.crumbs li + li::before { content: "/"; margin-right: .5rem; color: var(--muted); }
.bar { display: inline-block; height: .8rem; background: var(--accent); vertical-align: middle; }
.mark { font-weight: 600; color: var(--good); }
.skip-label { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

const enc = (s: string) => encodeURIComponent(s);

export function layout(
  title: string,
  crumbs: { href?: string; label: string }[],
  body: string,
): string {
  const trail = crumbs
    .map((c) =>
      c.href
        ? `<li><a href="${escapeHtml(c.href)}">${escapeHtml(c.label)}</a></li>`
        : `<li aria-current="page">${escapeHtml(c.label)}</li>`,
    )
    .join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)} · Orchard</title>
<style>${UI_CSS}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><p><strong>Orchard</strong> local runs</p></header>
<nav aria-label="Breadcrumb"><ol class="crumbs">${trail}</ol></nav>
<main id="main" tabindex="-1">
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

function statusBadge(r: RunRecord): string {
  const cls =
    r.status === "FAILED"
      ? "status-bad"
      : r.endState === "Promoted"
        ? "status-ok"
        : "status-neutral";
  const text =
    r.status === "FAILED"
      ? `failed in ${r.error?.state ?? "?"}`
      : (r.endState ?? r.status).replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return `<span class="status ${cls}">${escapeHtml(text)}</span>`;
}

const when = (ms: number | null) =>
  ms === null ? "—" : new Date(ms).toISOString().replace("T", " ").slice(0, 19);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function homePage(
  stateDir: string,
  pipelines: { name: string; runs: RunRecord[]; registry: RegistrySnapshot | null }[],
): string {
  if (pipelines.length === 0) {
    return layout(
      "Pipelines",
      [{ label: "Pipelines" }],
      `<p>No runs recorded under <code>${escapeHtml(stateDir)}</code> yet. Run <code>orchard run &lt;spec.yaml&gt; --state-dir ${escapeHtml(stateDir)}</code> first.</p>`,
    );
  }
  const rows = pipelines
    .map(({ name, runs, registry }) => {
      const last = runs[0];
      return `<tr><th scope="row"><a href="/pipelines/${enc(name)}">${escapeHtml(name)}</a></th><td>${last ? statusBadge(last) : "—"}</td><td>${escapeHtml(when(last?.startedAt ?? null))}</td><td class="num">${runs.length}</td><td>${escapeHtml(registry?.champion ?? "none")}</td><td class="num">${registry?.versions.length ?? 0}</td></tr>`;
    })
    .join("\n");
  return layout(
    "Pipelines",
    [{ label: "Pipelines" }],
    `<p>State directory <code>${escapeHtml(stateDir)}</code>.</p>
<div class="table-wrap"><table><caption>Pipelines with recorded runs</caption>
<thead><tr><th scope="col">pipeline</th><th scope="col">last run</th><th scope="col">started (UTC)</th><th scope="col" class="num">runs</th><th scope="col">champion</th><th scope="col" class="num">versions</th></tr></thead>
<tbody>${rows}</tbody></table></div>`,
  );
}

export function pipelinePage(
  name: string,
  runs: RunRecord[],
  registry: RegistrySnapshot | null,
): string {
  const metricNames = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].slice(0, 4);
  const runRows = runs
    .map(
      (r) =>
        `<tr><th scope="row"><a href="/pipelines/${enc(name)}/runs/${enc(r.executionId)}">${escapeHtml(when(r.startedAt))}</a></th><td>${statusBadge(r)}</td><td class="num">${seconds(r.durationMs)}</td><td>${escapeHtml(r.modelVersion ?? "—")}</td>${metricNames.map((m) => `<td class="num">${escapeHtml(fmt(r.metrics[m]))}</td>`).join("")}<td>${r.reportFile ? `<a href="/pipelines/${enc(name)}/runs/${enc(r.executionId)}/report">report<span class="skip-label"> of ${escapeHtml(when(r.startedAt))}</span></a>` : "—"}</td></tr>`,
    )
    .join("\n");
  const versions = registry?.versions ?? [];
  const versionRows = versions
    .map((v) => {
      const champion = v.version === registry?.champion;
      return `<tr><th scope="row">${escapeHtml(v.version)}${champion ? ' <span class="mark">(champion)</span>' : ""}</th><td>${escapeHtml(v.status)}</td><td>${escapeHtml(v.registeredAt.replace("T", " ").slice(0, 19))}</td><td>${escapeHtml(
        Object.entries(v.metrics)
          .slice(0, 4)
          .map(([k, x]) => `${k} ${fmt(x)}`)
          .join(", "),
      )}</td><td><code>${escapeHtml(v.lineage.dataSha256.slice(0, 12))}</code></td></tr>`;
    })
    .join("\n");
  return layout(
    `Pipeline ${name}`,
    [{ href: "/", label: "Pipelines" }, { label: name }],
    `<p><a href="/pipelines/${enc(name)}/monitoring">Monitoring</a>: live metrics, labels, capture volume, A/B test or bandit.</p>
<section aria-labelledby="runs-h"><h2 id="runs-h">Executions</h2>
<div class="table-wrap"><table><caption>Executions, newest first</caption>
<thead><tr><th scope="col">started (UTC)</th><th scope="col">status</th><th scope="col" class="num">duration</th><th scope="col">model</th>${metricNames.map((m) => `<th scope="col" class="num">${escapeHtml(m)}</th>`).join("")}<th scope="col">report</th></tr></thead>
<tbody>${runRows}</tbody></table></div></section>
<section aria-labelledby="registry-h"><h2 id="registry-h">Registry</h2>
${registry ? `<p>As the last run left it (${escapeHtml(registry.takenAt.replace("T", " ").slice(0, 19))} UTC); champion <strong>${escapeHtml(registry.champion ?? "none")}</strong>.</p>` : "<p>No registry snapshot yet.</p>"}
<div class="table-wrap"><table><caption>Registered model versions, newest first</caption>
<thead><tr><th scope="col">version</th><th scope="col">status</th><th scope="col">registered (UTC)</th><th scope="col">test metrics</th><th scope="col">data</th></tr></thead>
<tbody>${versionRows}</tbody></table></div></section>`,
  );
}

export function runPage(name: string, r: RunRecord): string {
  const longest = Math.max(1, ...r.states.map((s) => s.durationMs));
  const stateRows = r.states
    .map(
      (s) =>
        `<tr><th scope="row">${escapeHtml(s.name)}${s.runs > 1 ? ` (${s.runs} runs)` : ""}</th><td>${escapeHtml(s.status.toLowerCase())}${s.attempts > s.runs ? `, ${s.attempts} attempts` : ""}</td><td class="num">${s.durationMs} ms</td><td><span class="bar" style="width:${Math.round((240 * s.durationMs) / longest)}px" aria-hidden="true"></span></td></tr>`,
    )
    .join("\n");
  const metrics = Object.entries(r.metrics)
    .map(
      ([k, v]) =>
        `<tr><th scope="row">${escapeHtml(k)}</th><td class="num">${escapeHtml(fmt(v))}</td></tr>`,
    )
    .join("");
  const error = r.error
    ? `<p class="error" role="alert"><strong>${escapeHtml(r.error.state)} failed: ${escapeHtml(r.error.name)}</strong>: ${escapeHtml(r.error.message)}</p>`
    : "";
  return layout(
    `Execution ${r.executionId}`,
    [
      { href: "/", label: "Pipelines" },
      { href: `/pipelines/${enc(name)}`, label: name },
      { label: r.executionId },
    ],
    `<p>${statusBadge(r)} started ${escapeHtml(when(r.startedAt))} UTC, ${seconds(r.durationMs)}; model ${escapeHtml(r.modelVersion ?? "none")}, champion before ${escapeHtml(r.championBefore ?? "none")}, after ${escapeHtml(r.championAfter ?? "none")}.</p>
${error}
${r.reportFile ? `<p><a href="/pipelines/${enc(name)}/runs/${enc(r.executionId)}/report">Open the run report</a> (also at <code>${escapeHtml(r.reportUri ?? "")}</code>)</p>` : "<p>This run wrote no report.</p>"}
${r.drift ? `<p>Drift: ${escapeHtml(r.drift.reason)}</p>` : ""}
<section aria-labelledby="states-h"><h2 id="states-h">Duration per state</h2>
<div class="table-wrap"><table><caption>States in the order entered</caption>
<thead><tr><th scope="col">state</th><th scope="col">status</th><th scope="col" class="num">duration</th><th scope="col"><span class="skip-label">bar</span></th></tr></thead>
<tbody>${stateRows}</tbody></table></div></section>
${metrics ? `<section aria-labelledby="metrics-h"><h2 id="metrics-h">Test metrics</h2><div class="table-wrap"><table><caption>Held-out test metrics</caption><thead><tr><th scope="col">metric</th><th scope="col" class="num">value</th></tr></thead><tbody>${metrics}</tbody></table></div></section>` : ""}`,
  );
}

export function notFoundPage(what: string): string {
  return layout(
    "Not found",
    [{ href: "/", label: "Pipelines" }, { label: "Not found" }],
    `<p>${escapeHtml(what)}</p><p><a href="/">Back to the pipelines</a></p>`,
  );
}
