/** The mandatory policy findings, as `rule: message` lines: what tests expect to be empty. */
export function mandatoryFindings(
  findings: readonly { rule: string; level: string; message: string }[],
): string[] {
  return findings.filter((f) => f.level === "mandatory").map((f) => `${f.rule}: ${f.message}`);
}
