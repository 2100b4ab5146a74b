/**
 * Materialize: the Lambda a feature view's state machine invokes on its schedule. The event
 * names the view's definition (YAML stored content-addressed under the view's own prefix of
 * the features bucket, so a changed view is a new object and a new state machine input) and
 * its source; the work is `materializeView`, the same function `orchard features materialize`
 * runs locally.
 *
 *   { "view": "stock_prices", "viewUri": "s3://…/views/stock_prices/definitions/<sha>.yaml",
 *     "sourceUri": "s3://…/prices.csv" }
 */
import { SpecError } from "../pipeline/errors.ts";
import { materializeView } from "../pipeline/feature-store/materialize.ts";
import { parseView } from "../pipeline/feature-store/parse-view.ts";
import { stepHandler } from "./step-handler.ts";

export interface MaterializeEvent {
  view: string;
  viewUri: string;
  sourceUri: string;
}

export const handler = stepHandler("materialize", async (event: MaterializeEvent, deps) => {
  for (const field of ["view", "viewUri", "sourceUri"] as const) {
    if (typeof event?.[field] !== "string" || event[field] === "") {
      throw new SpecError(
        `the materialize event needs "${field}": { "view", "viewUri", "sourceUri" } (the view's state machine input)`,
        { path: field },
      );
    }
  }
  const text = new TextDecoder().decode(await deps.artifacts.get(event.viewUri));
  const view = parseView(text, { file: event.viewUri });
  if (view.name !== event.view) {
    throw new SpecError(
      `${event.viewUri} defines view "${view.name}", not "${event.view}"; redeploy the stack`,
      { file: event.viewUri, path: "name" },
    );
  }
  // The result is references and counts (no rows): well within a state payload.
  return materializeView(deps, { view, sourceUri: event.sourceUri });
});
