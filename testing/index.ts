/**
 * `orchard-ml/testing`: helpers for a platform repository's own tests (vitest or any runner).
 *
 *   import { synthStack, loadSpec, runPipeline } from "orchard-ml/testing";
 *   const manifest = await synthStack({ stack: "staging" });   // Pulumi program under mocks
 *   expect(mandatoryFindings(manifest)).toEqual([]);            // policy and AWS limit rules
 *   const run = await runPipeline("pipelines/churn/pipeline.yaml", { stateDir });
 *   expect(run.status).toBe("SUCCEEDED");
 *
 * `synthStack` is what `orchard synth` runs: the project's Pulumi program (Pulumi.yaml
 * `main`, TypeScript loaded without tsx) with `Pulumi.<stack>.yaml`, every resource captured,
 * and Orchard's mandatory and advisory rules judged over them. `runPipeline` is `orchard run`
 * in-process: the embedded S3 and DynamoDB under `stateDir`, the same state machine, the same
 * handlers.
 */
import path from "node:path";
import { runLocally } from "../cli/local/run-pipeline.ts";
import { jsonSummary } from "../cli/run.ts";
import { registerTypeScript } from "../cli/ts-loader/register.ts";
import type { Manifest } from "../infra/synth/manifest.ts";
import type { PolicyFinding } from "../infra/synth/policy-findings.ts";
import { findProjectRoot } from "../infra/synth/project.ts";
import { synthesize } from "../infra/synth/synthesize.ts";
import { SpecError } from "../pipeline/errors.ts";
import { parseSpec } from "../pipeline/spec/parse-spec.ts";
import type { PipelineSpec } from "../pipeline/spec/types.ts";

export type { Manifest } from "../infra/synth/manifest.ts";
export type { PolicyFinding } from "../infra/synth/policy-findings.ts";

export interface SynthStackOptions {
  stack: string;
  /** The Pulumi project (default: the one around the current directory). */
  root?: string;
  /** Overrides of the stack file's config; `undefined` removes a key. */
  config?: Record<string, string | undefined>;
}

function projectRoot(root: string | undefined): string {
  if (root) return path.resolve(root);
  const found = findProjectRoot(process.cwd());
  if (!found) {
    throw new SpecError(
      `no Pulumi.yaml at or above ${process.cwd()}: pass root, or run the tests from the platform repository`,
    );
  }
  return found;
}

/** The stack's manifest, as `orchard synth --json` prints it. */
export function synthStack(options: SynthStackOptions): Promise<Manifest> {
  registerTypeScript();
  return synthesize({
    stack: options.stack,
    root: projectRoot(options.root),
    ...(options.config ? { config: options.config } : {}),
  });
}

/** The findings of the mandatory rules (an empty list is a deployable stack). */
export function mandatoryFindings(manifest: Manifest): PolicyFinding[] {
  return manifest.policy.findings.filter((f) => f.level === "mandatory");
}

/** Reads and validates a pipeline spec; throws SpecError naming the file and key. */
export async function loadSpec(file: string): Promise<PipelineSpec> {
  const { readFile } = await import("node:fs/promises");
  return parseSpec(await readFile(file, "utf8"), { file });
}

export interface PipelineRunOptions {
  /** Where the embedded S3 and DynamoDB keep their data (default `.orchard`). */
  stateDir?: string;
}

/** What `orchard run --json` prints: status, pipeline, promoted, modelVersion, metrics, gate, error. */
export type PipelineRun = ReturnType<typeof jsonSummary>;

/** One local execution of the pipeline, as `orchard run` does it. */
export async function runPipeline(
  specFile: string,
  options: PipelineRunOptions = {},
): Promise<PipelineRun> {
  const run = await runLocally({
    specPath: specFile,
    ...(options.stateDir ? { stateDir: options.stateDir } : {}),
  });
  return jsonSummary(run);
}
