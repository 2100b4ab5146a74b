/**
 * The `orchard ui` web server: GET-only, server-rendered pages over the run records in the
 * state directory and the Monitor's reports (`/pipelines/<name>/monitoring`), bound to loopback
 * by default. Path segments are checked against the names `orchard run` writes, so no request
 * reaches a file outside `<stateDir>/runs/` and `<stateDir>/monitor/`.
 */
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { listViewRecords, readViewRecord, viewPage, viewsPage } from "./feature-views.ts";
import { monitoringPage, readMonitorReports } from "./monitoring.ts";
import { homePage, notFoundPage, pipelinePage, runPage } from "./pages.ts";
import { listPipelines, listRuns, readRegistry, runsDir, safeName } from "./run-records.ts";

/** A pipeline name or execution id as `orchard run` writes them; never `.` or `..`. */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface UiResponse {
  status: number;
  type: string;
  body: string | Uint8Array;
}

const html = (body: string, status = 200): UiResponse => ({
  status,
  type: "text/html; charset=utf-8",
  body,
});

/** Answers one GET path (the server's whole logic, testable without sockets). */
export async function route(stateDir: string, path: string): Promise<UiResponse> {
  const parts = path.split("?")[0].split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) {
    const names = await listPipelines(stateDir);
    const pipelines = await Promise.all(
      names.map(async (name) => ({
        name,
        runs: await listRuns(stateDir, name),
        registry: await readRegistry(stateDir, name),
      })),
    );
    return html(homePage(stateDir, pipelines));
  }
  if (parts[0] === "health" && parts.length === 1)
    return { status: 200, type: "text/plain", body: "ok\n" };
  if (parts[0] === "features" && parts.length <= 2) {
    if (parts.length === 1) return html(viewsPage(await listViewRecords(stateDir), new Date()));
    const record = await readViewRecord(stateDir, parts[1]);
    if (!record) return html(notFoundPage(`No feature view "${parts[1]}" was materialized.`), 404);
    return html(viewPage(record, new Date()));
  }
  if (
    parts[0] !== "pipelines" ||
    parts.length < 2 ||
    !parts.slice(1).every((p) => SEGMENT.test(p))
  ) {
    return html(notFoundPage(`There is no page at ${path}.`), 404);
  }
  const name = parts[1];
  if (parts.length === 3 && parts[2] === "monitoring") {
    return html(await monitoringPage(name, await readMonitorReports(stateDir, name)));
  }
  const runs = await listRuns(stateDir, name);
  if (parts.length === 2) {
    if (runs.length === 0)
      return html(notFoundPage(`No runs of pipeline "${name}" are recorded.`), 404);
    return html(pipelinePage(name, runs, await readRegistry(stateDir, name)));
  }
  const run = parts[2] === "runs" ? runs.find((r) => r.executionId === parts[3]) : undefined;
  if (!run)
    return html(notFoundPage(`Pipeline "${name}" has no execution ${parts[3] ?? ""}.`), 404);
  if (parts.length === 4) return html(runPage(name, run));
  if (parts.length === 5 && parts[4] === "report" && run.reportFile) {
    const body = await readFile(join(runsDir(stateDir, name), safeName(run.reportFile)));
    return { status: 200, type: "text/html; charset=utf-8", body };
  }
  return html(notFoundPage(`There is no page at ${path}.`), 404);
}

export function createUiServer(stateDir: string): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const send = (r: UiResponse) => {
      res.writeHead(r.status, {
        "content-type": r.type,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
      });
      res.end(r.body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") {
      send({ status: 405, type: "text/plain", body: "only GET\n" });
      return;
    }
    route(stateDir, req.url ?? "/").then(send, (err: Error) =>
      send({ status: 500, type: "text/plain", body: `orchard ui: ${err.message}\n` }),
    );
  });
}
