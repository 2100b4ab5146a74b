/**
 * Mandatory rules the program still breaks on this branch, each fixed on branch
 * `infra-fixes` (issue 14): the step-errors alarm reads 12 metrics (alarm-metrics-limit), the
 * platform-admin role's inline policy grows past 10,240 characters with ten pipelines
 * (role-inline-policy-size), container steps pass the whole state as an ECS override
 * (ecs-override-size), the dashboard is named without its stack (account-unique-names).
 *
 * The tests that require zero mandatory violations accept exactly these, print them, and fail
 * on any other. DELETE THIS LIST after merging infra-fixes: with it empty, those tests demand
 * zero violations.
 */
export const KNOWN_DEFECTS_FIXED_ON_BRANCH_infra_fixes: readonly string[] = [
  "alarm-metrics-limit",
  "role-inline-policy-size",
  "ecs-override-size",
  "account-unique-names",
];

/**
 * The mandatory findings no known defect explains (expected: none), after printing the
 * known ones so a run shows what is still broken.
 */
export function unexplainedMandatory(
  where: string,
  findings: readonly { rule: string; level: string; message: string }[],
): string[] {
  const mandatory = findings.filter((f) => f.level === "mandatory");
  const known = mandatory.filter((f) => KNOWN_DEFECTS_FIXED_ON_BRANCH_infra_fixes.includes(f.rule));
  if (known.length > 0) {
    const byRule = new Map<string, { count: number; example: string }>();
    for (const f of known) {
      const seen = byRule.get(f.rule);
      byRule.set(f.rule, { count: (seen?.count ?? 0) + 1, example: seen?.example ?? f.message });
    }
    console.warn(
      [
        `${where}: ${known.length} mandatory violation(s) of rules fixed on branch infra-fixes:`,
        ...[...byRule].map(([rule, { count, example }]) => `  ${rule} ×${count}, e.g. ${example}`),
      ].join("\n"),
    );
  }
  return mandatory
    .filter((f) => !KNOWN_DEFECTS_FIXED_ON_BRANCH_infra_fixes.includes(f.rule))
    .map((f) => `${f.rule}: ${f.message}`);
}
