/**
 * `orchard diff --format markdown`: a manifest diff as a pull request comment. Sections run
 * from what blocks a merge to what is routine (policy violations, IAM, Lambda code, state
 * machines, schedules, then resources), so when the text must be cut to fit a comment (GitHub
 * refuses bodies over 65,536 characters) the cut falls on the least important part. The cut
 * is at a line boundary and says where the full JSON is. No fenced blocks, so a cut never
 * leaves one open.
 */

import type { ManifestDiff, PropertyChange } from "../../infra/synth/diff.ts";
import type { FlaggedPermission } from "../../infra/synth/diff-sections.ts";
import type { PolicyFinding } from "../../infra/synth/policy-findings.ts";

export const DEFAULT_MAX_CHARS = 65_000;
const MAX_VALUE_CHARS = 160;

export interface MarkdownOptions {
  /** How the base was named (`origin/main`) and its commit. */
  base: { ref: string; commit: string };
  /** Upper bound of the text length. Default 65,000. */
  maxChars?: number;
  /** Where the full JSON diff is (named in the truncation note). */
  jsonPath?: string;
}

export interface RenderedMarkdown {
  text: string;
  truncated: boolean;
}

const code = (text: string) => `\`${text.replaceAll("`", "'")}\``;

function value(v: unknown): string {
  const text = typeof v === "string" ? v : JSON.stringify(v);
  const short = text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
  return code(short.replaceAll("\n", " "));
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function finding(f: PolicyFinding): string {
  return `- **${f.rule}** (${f.level}): ${f.message.replaceAll("\n", " ")}`;
}

function permission(sign: string, p: FlaggedPermission): string {
  const condition = p.condition ? ` when ${value(p.condition)}` : "";
  const flag = p.wildcard ? " ⚠️ **wildcard**" : "";
  return `- ${sign} ${p.effect} ${code(p.action)} on ${code(p.resource)}${condition} (${p.policy})${flag}`;
}

function propertyLine(c: PropertyChange): string {
  const replaces = c.replaces ? " — **forces replacement**" : "";
  if (c.section) {
    const where = {
      iam: "IAM permissions",
      code: "Lambda code",
      stateMachine: "state machines",
      schedule: "schedules",
    }[c.section];
    return `  - ${code(c.path)} ${c.kind} (see ${where})${replaces}`;
  }
  if (c.kind === "added") return `  - ${code(c.path)} added: ${value(c.after)}${replaces}`;
  if (c.kind === "removed")
    return `  - ${code(c.path)} removed (was ${value(c.before)})${replaces}`;
  return `  - ${code(c.path)}: ${value(c.before)} → ${value(c.after)}${replaces}`;
}

function summary(diff: ManifestDiff): string {
  const { counts } = diff;
  const parts = [
    `${counts.added} to add`,
    `${counts.changed} to change${counts.replaced ? ` (${counts.replaced} replaced)` : ""}`,
    `${counts.removed} to remove`,
    `${counts.same} unchanged`,
  ];
  return `**Resources:** ${parts.join(", ")}`;
}

function policyLines(diff: ManifestDiff): string[] {
  const { policy } = diff;
  const newKeys = new Set(policy.new);
  const existing = policy.mandatory.filter((f) => !newKeys.has(f));
  const lines: string[] = [];
  const newMandatory = policy.new.filter((f) => f.level === "mandatory");
  const newAdvisory = policy.new.filter((f) => f.level === "advisory");
  if (newMandatory.length + existing.length + newAdvisory.length + policy.fixed.length === 0) {
    return lines;
  }
  lines.push("", "#### Policy");
  if (newMandatory.length)
    lines.push("", "New mandatory violations:", ...newMandatory.map(finding));
  if (existing.length) lines.push("", "Existing mandatory violations:", ...existing.map(finding));
  if (newAdvisory.length) lines.push("", "New advisory findings:", ...newAdvisory.map(finding));
  if (policy.fixed.length) lines.push("", "Fixed:", ...policy.fixed.map(finding));
  return lines;
}

function iamLines(diff: ManifestDiff): string[] {
  if (diff.iam.length === 0) return [];
  const lines = ["", "#### IAM permissions"];
  for (const role of diff.iam) {
    lines.push("", `**${code(role.role)}** (${role.status})`);
    lines.push(...role.added.map((p) => permission("➕", p)));
    lines.push(...role.removed.map((p) => permission("➖", p)));
  }
  return lines;
}

function codeLines(diff: ManifestDiff): string[] {
  if (diff.code.length === 0) return [];
  const lines = ["", "#### Lambda code"];
  for (const c of diff.code) {
    const files = [
      ...c.files.changed.map((f) => `~${f}`),
      ...c.files.added.map((f) => `+${f}`),
      ...c.files.removed.map((f) => `-${f}`),
    ];
    const what = [
      files.length
        ? `${files.slice(0, 8).join(", ")}${files.length > 8 ? `, … ${files.length - 8} more` : ""}`
        : "",
      c.dependenciesChanged ? "bundled dependencies" : "",
    ].filter(Boolean);
    lines.push(
      `- ${code(c.function)} (${c.bundle}): ${(c.before ?? "none").slice(0, 12)} → ${(c.after ?? "none").slice(0, 12)}${what.length ? `; ${what.join("; ")}` : ""}`,
    );
  }
  return lines;
}

function stateMachineLines(diff: ManifestDiff): string[] {
  if (diff.stateMachines.length === 0) return [];
  const lines = ["", "#### State machines"];
  for (const sm of diff.stateMachines) {
    lines.push("", `**${code(sm.name)}** (${sm.status})`);
    if (sm.startAt) lines.push(`- start: ${code(sm.startAt.before)} → ${code(sm.startAt.after)}`);
    if (sm.statesAdded.length) lines.push(`- states added: ${sm.statesAdded.map(code).join(", ")}`);
    if (sm.statesRemoved.length) {
      lines.push(`- states removed: ${sm.statesRemoved.map(code).join(", ")}`);
    }
    for (const s of sm.statesChanged) {
      const details = s.fields.map(
        (f) => `${f} ${value(s.before[f] ?? null)} → ${value(s.after[f] ?? null)}`,
      );
      lines.push(`- state ${code(s.state)}: ${details.join("; ")}`);
    }
    lines.push(...sm.edgesAdded.map((e) => `- ➕ edge ${code(e)}`));
    lines.push(...sm.edgesRemoved.map((e) => `- ➖ edge ${code(e)}`));
  }
  return lines;
}

function scheduleLines(diff: ManifestDiff): string[] {
  if (diff.schedules.length === 0) return [];
  const lines = ["", "#### Schedules"];
  for (const s of diff.schedules) {
    if (s.status !== "changed") {
      const entry = s.after ?? s.before;
      lines.push(
        `- ${code(s.name)} ${s.status}: ${value(entry?.expression)} (${entry?.timeZone ?? "UTC"})`,
      );
      continue;
    }
    const details = s.fields.map((f) => `${f} ${value(s.before?.[f])} → ${value(s.after?.[f])}`);
    lines.push(`- ${code(s.name)}: ${details.join("; ")}`);
  }
  return lines;
}

function resourceLines(diff: ManifestDiff): string[] {
  const lines: string[] = [];
  if (diff.added.length + diff.removed.length + diff.changed.length === 0) return lines;
  lines.push("", "#### Resources");
  if (diff.added.length) {
    lines.push("", "Added:", ...diff.added.map((r) => `- ➕ ${code(r.type)} ${code(r.name)}`));
  }
  if (diff.removed.length) {
    lines.push("", "Removed:", ...diff.removed.map((r) => `- ➖ ${code(r.type)} ${code(r.name)}`));
  }
  if (diff.changed.length) {
    lines.push("", "Changed:");
    for (const r of diff.changed) {
      lines.push(`- ${r.replace ? "🔁 **replace**" : "✏️ update"} ${code(r.type)} ${code(r.name)}`);
      lines.push(...r.changes.map(propertyLine));
    }
  }
  return lines;
}

export function renderDiffMarkdown(diff: ManifestDiff, options: MarkdownOptions): RenderedMarkdown {
  const max = options.maxChars ?? DEFAULT_MAX_CHARS;
  const mandatory = diff.policy.mandatory.length;
  const lines = [
    `### Orchard infra review: ${code(diff.stack)}`,
    "",
    `Base ${code(options.base.ref)} (${options.base.commit.slice(0, 12)}) → working tree.`,
  ];
  if (diff.noChanges) lines.push("", "**No changes.**");
  else {
    lines.push("", summary(diff));
    const sections = [
      diff.iam.length && plural(diff.iam.length, "role"),
      diff.code.length && `${plural(diff.code.length, "function")} with new code`,
      diff.stateMachines.length && plural(diff.stateMachines.length, "state machine"),
      diff.schedules.length && plural(diff.schedules.length, "schedule"),
    ].filter(Boolean);
    if (sections.length) lines.push(`**Also changed:** ${sections.join(", ")}`);
  }
  lines.push(
    "",
    mandatory > 0
      ? `**❌ ${plural(mandatory, "mandatory policy violation")}** (exit 3): fix before deploying.`
      : "**✅ No mandatory policy violations.**",
  );
  lines.push(
    ...policyLines(diff),
    ...iamLines(diff),
    ...codeLines(diff),
    ...stateMachineLines(diff),
    ...scheduleLines(diff),
    ...resourceLines(diff),
  );
  return fitToLimit(lines, max, options.jsonPath);
}

/** The lines joined, cut at a line boundary with a note when longer than `max`. */
export function fitToLimit(lines: string[], max: number, jsonPath?: string): RenderedMarkdown {
  const full = `${lines.join("\n")}\n`;
  if (full.length <= max) return { text: full, truncated: false };
  const where = jsonPath
    ? `the full diff is in ${code(jsonPath)}`
    : "run `orchard diff --format json` for the full diff";
  const note = (shown: number) =>
    `\n> ✂️ Truncated to fit a comment: ${shown} of ${lines.length} lines shown; ${where}.\n`;
  let length = 0;
  let shown = 0;
  const budget = max - note(lines.length).length - 1;
  while (shown < lines.length && length + lines[shown].length + 1 <= budget) {
    length += lines[shown].length + 1;
    shown++;
  }
  return { text: `${lines.slice(0, shown).join("\n")}\n${note(shown)}`, truncated: true };
}
