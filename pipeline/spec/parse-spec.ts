/**
 * YAML text → a fully defaulted PipelineSpec, or one SpecError listing every problem with its
 * file, line and YAML path. Pure: nothing on disk is read or resolved.
 */

import { LineCounter, parseDocument } from "yaml";
import { SpecError } from "../errors.ts";
import { applyDefaults } from "./apply-defaults.ts";
import { checkSpec } from "./check-spec.ts";
import { rawSpecSchema } from "./schema.ts";
import { issuesFromZod, specErrorFrom } from "./spec-issues.ts";
import type { PipelineSpec } from "./types.ts";

const REQUIRED = "name, source.uri, target and task";

export function parseSpec(yamlText: string, options: { file: string }): PipelineSpec {
  const { file } = options;
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = syntax.linePos?.[0].line;
    const where = line === undefined ? file : `${file}:${line}`;
    // The parser's message ends with a code frame; one line is enough with the line number.
    const why = syntax.message.split("\n")[0].replace(/:\s*$/, "");
    throw new SpecError(
      `${where}: the spec is not valid YAML: ${why}; fix the YAML there (indentation, quoting, a repeated key).`,
      { file },
      {
        cause: syntax,
      },
    );
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    throw new SpecError(`${file}: the spec cannot be read: ${String(cause)}`, { file }, { cause });
  }
  if (raw === null || raw === undefined) {
    throw new SpecError(`${file}: the spec is empty; it needs at least ${REQUIRED}.`, { file });
  }
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new SpecError(
      `${file}: the spec must be a YAML mapping (key: value lines) with at least ${REQUIRED}.`,
      { file },
    );
  }

  const parsed = rawSpecSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = issuesFromZod(parsed.error.issues, raw, rawSpecSchema);
    throw specErrorFrom(file, issues, doc, lineCounter);
  }
  const spec = applyDefaults(parsed.data);
  const issues = checkSpec(parsed.data, spec, file);
  if (issues.length > 0) throw specErrorFrom(file, issues, doc, lineCounter);
  return spec;
}
