/**
 * The net under the local runs: each storage call is authorized against the deployed role's
 * policy (test/support/iam-enforcement.ts, installed for this suite by iam-setup.ts), and a
 * grant missing from infra/access/declarations.ts fails the run as it would fail on AWS.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runLocally } from "../../cli/local/run-pipeline.ts";
import { STEP_ACCESS } from "../../infra/access/declarations.ts";
import { runContainerStep } from "../../lambdas/container-runner.ts";
import { activeEnforcement, type Enforcement } from "../support/iam-enforcement.ts";

const example = new URL("../../examples/penguins/", import.meta.url);
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "orchard-iam-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function exampleCopy(): string {
  const dir = tempDir();
  for (const f of ["pipeline.yaml", "penguins.csv"])
    copyFileSync(new URL(f, example), join(dir, f));
  return join(dir, "pipeline.yaml");
}

function enforcement(): Enforcement {
  const active = activeEnforcement();
  if (!active) throw new Error("this suite runs under the IAM-enforced project (vitest.config.ts)");
  return active;
}

describe("a local run under the deployed IAM", () => {
  it("authorizes every call as the role that makes it, KMS and key conditions included", async () => {
    const iam = enforcement();
    iam.reset();
    const run = await runLocally({ specPath: exampleCopy(), stateDir: tempDir() });
    expect(run.result.status).toBe("SUCCEEDED");
    expect(iam.denied).toEqual([]);
    // Nothing the run did escaped authorization.
    expect(iam.unattributed).toEqual([]);
    const roles = new Set(iam.decisions.map((d) => d.role));
    for (const role of [
      "platform-admin",
      "ingest",
      "validate",
      "preprocess",
      "train",
      "select",
      "evaluate",
      "report",
      "promote",
    ]) {
      expect(roles, role).toContain(role);
    }
    const has = (p: (d: (typeof iam.decisions)[number]) => boolean) =>
      expect(iam.decisions.some(p)).toBe(true);
    // Ingest creates the raw snapshot only if absent.
    has(
      (d) =>
        d.role === "ingest" && d.action === "s3:PutObject" && d.context["s3:if-none-match"] === "*",
    );
    // The cache miss of Validate is a 404 only because it may list its own cache prefix.
    has(
      (d) =>
        d.role === "validate" &&
        d.action === "s3:ListBucket" &&
        String(d.context["s3:prefix"]).startsWith("penguins/cache/validate/"),
    );
    // S3 and DynamoDB use the data-lake key on the caller's behalf.
    has(
      (d) =>
        d.action === "kms:Decrypt" && d.context["kms:ViaService"] === "s3.us-east-1.amazonaws.com",
    );
    has(
      (d) =>
        d.action === "kms:GenerateDataKey" &&
        d.context["kms:ViaService"] === "dynamodb.us-east-1.amazonaws.com",
    );
    // Registry and feature items by partition key.
    has(
      (d) =>
        d.role === "promote" &&
        d.action === "dynamodb:UpdateItem" &&
        String(d.context["dynamodb:LeadingKeys"]) === "penguins",
    );
    has(
      (d) =>
        d.role === "preprocess" &&
        d.action === "dynamodb:BatchWriteItem" &&
        (d.context["dynamodb:LeadingKeys"] as string[]).every((k) => k.startsWith("penguins#")),
    );
  });

  it("a grant removed from the declarations fails the run where AWS would: Validate, AccessDenied naming role, action and resource, not retried", async () => {
    const iam = enforcement();
    const declared = STEP_ACCESS.validate;
    STEP_ACCESS.validate = declared.filter((a) => !("prefix" in a && a.prefix.includes("/cache/")));
    iam.reset();
    try {
      const run = await runLocally({ specPath: exampleCopy(), stateDir: tempDir() });
      expect(run.result.status).toBe("FAILED");
      expect(run.result.error).toMatchObject({
        state: "Validate",
        name: "StorageAccessDeniedError",
      });
      const message = run.result.error?.message ?? "";
      expect(message).toContain("AccessDenied");
      expect(message).toContain("assumed-role/orchard-penguins-validate/");
      expect(message).toContain("not authorized to perform: s3:GetObject");
      expect(message).toMatch(
        /arn:aws:s3:::orchard-artifacts\/penguins\/cache\/validate\/validate-[0-9a-f]+\.json/,
      );
      expect(run.result.states.find((s) => s.name === "Validate")).toMatchObject({
        status: "FAILED",
        attempts: 1,
      });
      expect(iam.denied.map((d) => `${d.role} ${d.action}`)).toEqual(["validate s3:GetObject"]);
    } finally {
      STEP_ACCESS.validate = declared;
      iam.reset();
    }
  });

  it("a step run through the container runner (a Fargate task) runs as its step's role", async () => {
    const iam = enforcement();
    iam.reset();
    let reported: { output?: string; error?: string } | undefined;
    const run = await runLocally({
      specPath: exampleCopy(),
      stateDir: tempDir(),
      wrapHandlers: (handlers) => ({
        ...handlers,
        // What the task does: the runner reads the state, runs the handler, reports by token.
        preprocess: async (event) => {
          const code = await runContainerStep({
            env: {
              ORCHARD_TASK_TOKEN: "token-1",
              ORCHARD_STEP: "preprocess",
              ORCHARD_EVENT: JSON.stringify(event),
            },
            sfn: {
              send: async (command: { input: object }) => {
                reported = command.input;
                return {};
              },
            } as never,
          });
          expect(code).toBe(0);
          return JSON.parse(reported?.output ?? "null");
        },
      }),
    });
    expect(run.result.status).toBe("SUCCEEDED");
    expect(iam.denied).toEqual([]);
    expect(iam.unattributed).toEqual([]);
    expect(
      iam.decisions.some((d) => d.role === "preprocess" && d.action === "dynamodb:BatchWriteItem"),
    ).toBe(true);
  });
});
