/**
 * The policy rules (infra/policy/rules.ts) run over a synthesized stack as CrossGuard runs
 * them: resource rules see each custom resource's inputs, stack rules all of them with their
 * resolved state. Findings are sorted so a manifest is stable.
 */
import type { Rule, RuleResource } from "../policy/types.ts";
import type { CapturedResource } from "./run-under-mocks.ts";

export interface PolicyFinding {
  rule: string;
  level: "mandatory" | "advisory";
  /** `type name` of the resource a resource rule judged; absent for stack rules. */
  resource?: string;
  message: string;
}

function asRuleResource(r: CapturedResource, props: "inputs" | "state"): RuleResource {
  return {
    type: r.type,
    name: r.name,
    id: typeof r.state.id === "string" ? r.state.id : undefined,
    props: r[props],
    opts: { protect: r.protect },
  };
}

export function findingKey(f: PolicyFinding): string {
  return `${f.rule}\u0000${f.resource ?? ""}\u0000${f.message}`;
}

export function evaluatePolicies(
  rules: readonly Rule[],
  resources: readonly CapturedResource[],
): PolicyFinding[] {
  const custom = resources.filter((r) => r.custom);
  const findings: PolicyFinding[] = [];
  for (const rule of rules) {
    const level = rule.enforcementLevel;
    if ("validateResource" in rule) {
      for (const r of custom) {
        rule.validateResource(asRuleResource(r, "inputs"), (message) =>
          findings.push({ rule: rule.name, level, resource: `${r.type} ${r.name}`, message }),
        );
      }
    } else {
      rule.validateStack({ resources: custom.map((r) => asRuleResource(r, "state")) }, (message) =>
        findings.push({ rule: rule.name, level, message }),
      );
    }
  }
  const unique = new Map(findings.map((f) => [findingKey(f), f]));
  return [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, f]) => f);
}
