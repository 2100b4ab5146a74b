/**
 * Shared by the `orchard diff` tests: temporary checkouts of a commit (git worktrees whose
 * node_modules links to this one), fixture edits that fail loudly when their anchor text is
 * gone, and an outline of a diff that names every finding, so a test can say "exactly this
 * and nothing else" with one `toEqual`.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../../infra/config.ts";
import type { ManifestDiff } from "../../infra/synth/diff.ts";

export const REPO = PROJECT_ROOT;

export function headCommit(): string {
  return execFileSync("git", ["-C", REPO, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
}

export interface Edit {
  file: string;
  find: string;
  replace: string;
}

/** Applies one fixture edit to a checkout; its anchor text must be there exactly once. */
export function applyEdit(dir: string, edit: Edit): void {
  const file = path.join(dir, edit.file);
  const text = readFileSync(file, "utf8");
  const at = text.indexOf(edit.find);
  if (at < 0 || text.indexOf(edit.find, at + 1) >= 0) {
    throw new Error(
      `fixture edit: ${JSON.stringify(edit.find)} must occur once in ${edit.file}; update the fixture to the current source`,
    );
  }
  writeFileSync(file, text.replace(edit.find, edit.replace));
}

/** Every finding of a diff, by name, in a shape `toEqual` can compare whole. */
export function outline(d: ManifestDiff) {
  return {
    added: d.added.map((r) => r.name),
    removed: d.removed.map((r) => r.name),
    changed: d.changed.map((c) => ({
      name: c.name,
      replace: c.replace,
      paths: c.changes.map((p) => (p.section ? `${p.path} (${p.section})` : p.path)),
    })),
    iam: d.iam.map((r) => ({
      role: r.role,
      added: r.added.map((p) => `${p.effect} ${p.action} ${p.resource}`),
      removed: r.removed.map((p) => `${p.effect} ${p.action} ${p.resource}`),
    })),
    stateMachines: d.stateMachines.map((s) => ({
      name: s.name,
      statesAdded: s.statesAdded,
      statesRemoved: s.statesRemoved,
      statesChanged: s.statesChanged.map((c) => c.state),
      edgesAdded: s.edgesAdded,
      edgesRemoved: s.edgesRemoved,
    })),
    schedules: d.schedules.map((s) => ({ name: s.name, fields: s.fields })),
    code: d.code.map((c) => ({ function: c.function, files: c.files })),
    policyNew: d.policy.new.map((f) => `${f.level} ${f.rule}`),
    policyFixed: d.policy.fixed.map((f) => `${f.level} ${f.rule}`),
  };
}

export const NOTHING: ReturnType<typeof outline> = {
  added: [],
  removed: [],
  changed: [],
  iam: [],
  stateMachines: [],
  schedules: [],
  code: [],
  policyNew: [],
  policyFixed: [],
};
