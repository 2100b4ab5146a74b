/** Where each execution's report is kept in the artifacts bucket. */

/** `<pipeline>/reports/<execution>.html`; characters outside [A-Za-z0-9._-] become `_`. */
export function reportKey(pipeline: string, execution: string): string {
  return `${pipeline}/reports/${execution.replace(/[^A-Za-z0-9._-]/g, "_")}.html`;
}
