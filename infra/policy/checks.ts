/** Small checks the resource and stack rules share. */
import type { RuleResource } from "./types.ts";

const KMS_ALGORITHMS = ["aws:kms", "aws:kms:dsse"];

export function label(r: RuleResource): string {
  return `${r.type} ${r.name ?? r.urn ?? ""}`.trim();
}

export function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

export function nonEmpty(value: unknown): boolean {
  return typeof value === "string" && value.trim() !== "";
}

/** The stack a resource belongs to, from its `stack` tag. */
export function stackOf(r: RuleResource): string | undefined {
  const tags = record(r.props.tags);
  return typeof tags.stack === "string" ? tags.stack : undefined;
}

export function isProductionStack(stack: string | undefined): boolean {
  return stack === "prod" || stack === "production";
}

/** Whether one SSE rule list encrypts with a KMS key; returns what is wrong, if anything. */
export function kmsEncryptionProblem(rules: unknown): string | undefined {
  const list = Array.isArray(rules) ? rules : rules ? [rules] : [];
  if (list.length === 0) return "has no server-side encryption rule";
  for (const rule of list) {
    const byDefault = record(record(rule).applyServerSideEncryptionByDefault);
    if (!KMS_ALGORITHMS.includes(String(byDefault.sseAlgorithm))) {
      return `encrypts with ${String(byDefault.sseAlgorithm)}; use sseAlgorithm "aws:kms" with the data-lake key`;
    }
    if (!nonEmpty(byDefault.kmsMasterKeyId)) {
      return "uses aws:kms without kmsMasterKeyId; name the data-lake key (an AWS-managed key cannot be restricted by key policy)";
    }
  }
  return undefined;
}

/**
 * SSE-S3 by default, and nothing else: what a server access log target bucket may use. The S3
 * User Guide ("Enabling Amazon S3 server access logging"): "You can use default bucket
 * encryption on the destination bucket only if you use server-side encryption with Amazon S3
 * managed keys (SSE-S3) … SSE-KMS is not supported"; with it, logs silently stop arriving.
 */
export function sseS3Only(rules: unknown): boolean {
  const list = Array.isArray(rules) ? rules : rules ? [rules] : [];
  return (
    list.length > 0 &&
    list.every(
      (rule) =>
        (rule as { applyServerSideEncryptionByDefault?: { sseAlgorithm?: unknown } })
          .applyServerSideEncryptionByDefault?.sseAlgorithm === "AES256",
    )
  );
}
