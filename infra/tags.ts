/**
 * The default tags every taggable resource carries: which project and stack it belongs to and
 * which Orchard component created it (the component's type token area, e.g. `data-lake`).
 * Components pass them explicitly (`tags: componentTags("data-lake")`) rather than through
 * provider default tags, because `component` differs per component.
 */
import * as pulumi from "@pulumi/pulumi";

export type Tags = Record<string, string>;

export function componentTags(component: string, extra: Tags = {}): Tags {
  return {
    ...extra,
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
    component,
  };
}
