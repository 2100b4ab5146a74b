/**
 * The manifest diff and its markdown, over small synthetic manifests: property paths,
 * replacements, IAM rows and wildcards, state machine and schedule changes, policy findings,
 * and a comment that always fits.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fitToLimit, renderDiffMarkdown } from "../../cli/infra-review/render-markdown.ts";
import { diffManifests, diffValues } from "../../infra/synth/diff.ts";
import { isWildcard, rolesOf } from "../../infra/synth/iam.ts";
import type { Manifest, ManifestResource } from "../../infra/synth/manifest.ts";
import type { Json } from "../../infra/synth/normalize.ts";
import type { PolicyFinding } from "../../infra/synth/policy-findings.ts";
import { stateGraph } from "../../infra/synth/state-graph.ts";

function manifest(resources: ManifestResource[], extra: Partial<Manifest> = {}): Manifest {
  return {
    format: "orchard-synth/1",
    stack: "prod",
    region: "eu-west-1",
    resources,
    code: {},
    iam: {},
    stateMachines: {},
    schedules: {},
    policy: { mandatory: 0, advisory: 0, findings: [] },
    outputs: {},
    ...extra,
  };
}

function resource(type: string, name: string, inputs: Record<string, Json>): ManifestResource {
  return { type, name, custom: true, protect: false, inputs };
}

const TABLE = "aws:dynamodb/table:Table";
const base = { ...resource(TABLE, "t", { hashKey: "pk", billingMode: "PAY_PER_REQUEST" }) };
const BASE = { header: { ref: "HEAD", commit: "0123456789abcdef" } };

describe("diffValues", () => {
  it.each([
    [{ a: 1 }, { a: 2 }, [{ path: "p.a", kind: "changed", before: 1, after: 2 }]],
    [{ a: 1 }, { a: 1, b: true }, [{ path: "p.b", kind: "added", after: true }]],
    [{ a: 1, b: "x" }, { a: 1 }, [{ path: "p.b", kind: "removed", before: "x" }]],
    [
      [{ k: 1 }, { k: 2 }],
      [{ k: 1 }, { k: 3 }],
      [{ path: "p[1].k", kind: "changed", before: 2, after: 3 }],
    ],
    [
      ["a", "b"],
      ["a", "c"],
      [{ path: "p", kind: "changed", before: ["a", "b"], after: ["a", "c"] }],
    ],
    [{ a: [1] }, { a: [1] }, []],
  ] as [Json, Json, unknown][])("%j → %j", (before, after, expected) => {
    expect(diffValues(before, after, "p")).toEqual(expected);
  });
});

describe("diffManifests over resources", () => {
  it("marks a change of a property that forces replacement", () => {
    const head = { ...base, inputs: { ...base.inputs, hashKey: "id" } };
    const diff = diffManifests(manifest([base]), manifest([head]));
    expect(diff.changed).toEqual([
      {
        type: TABLE,
        name: "t",
        replace: true,
        changes: [{ path: "hashKey", kind: "changed", before: "pk", after: "id", replaces: true }],
      },
    ]);
    expect(diff.counts).toEqual({ added: 0, removed: 0, changed: 1, replaced: 1, same: 0 });
  });

  it("updates in place for a property that does not force replacement", () => {
    const head = { ...base, inputs: { ...base.inputs, billingMode: "PROVISIONED" } };
    const diff = diffManifests(manifest([base]), manifest([head]));
    expect(diff.changed[0].replace).toBe(false);
  });

  it("reports protect and parent changes; a new parent replaces", () => {
    const head = { ...base, protect: true, parent: "other" };
    const [change] = diffManifests(manifest([base]), manifest([head])).changed;
    expect(change.changes).toEqual([
      { path: "(parent)", kind: "added", after: "other", replaces: true },
      { path: "(protect)", kind: "changed", before: false, after: true, replaces: false },
    ]);
  });

  it("lists added and removed resources and says nothing else changed", () => {
    const other = resource("aws:sns/topic:Topic", "alerts", {});
    const diff = diffManifests(manifest([base]), manifest([other]));
    expect(diff.added).toEqual([{ type: "aws:sns/topic:Topic", name: "alerts" }]);
    expect(diff.removed).toEqual([{ type: TABLE, name: "t" }]);
    expect(diff.noChanges).toBe(false);
  });

  it("finds no changes between a manifest and itself, whatever its resources", () => {
    const json = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>;
    const resources = fc.array(
      fc.record({
        name: fc.string({ minLength: 1, maxLength: 8 }),
        inputs: fc.dictionary(fc.string(), json),
      }),
      { maxLength: 5 },
    );
    fc.assert(
      fc.property(resources, (rs) => {
        const m = manifest(
          rs.map((r) => resource(TABLE, r.name, r.inputs as Record<string, Json>)),
        );
        const copy = JSON.parse(JSON.stringify(m)) as Manifest;
        expect(diffManifests(m, copy).noChanges).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
});

describe("IAM changes", () => {
  const role = (policy: Json) =>
    rolesOf([
      { type: "aws:iam/role:Role", name: "r", physicalName: "r-1", inputs: {} },
      { type: "aws:iam/rolePolicy:RolePolicy", name: "r-policy", inputs: { role: "r-1", policy } },
    ]);
  const doc = (...statements: Json[]) => ({ Version: "2012-10-17", Statement: statements });
  const read = { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/p/*" };

  it("lists added and removed actions per role and flags wildcards", () => {
    const before = manifest([], { iam: role(doc(read)) });
    const after = manifest([], {
      iam: role(doc({ Effect: "Allow", Action: ["s3:*"], Resource: "arn:aws:s3:::b/p/*" })),
    });
    const [change] = diffManifests(before, after).iam;
    expect(change.role).toBe("r");
    expect(change.added.map((p) => [p.action, p.wildcard])).toEqual([["s3:*", true]]);
    expect(change.removed.map((p) => [p.action, p.wildcard])).toEqual([["s3:GetObject", false]]);
  });

  it("ignores the order of actions and statements", () => {
    const a = { Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject"], Resource: "arn:x" };
    const b = { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: ["arn:x"] };
    const diff = diffManifests(
      manifest([], { iam: role(doc(read, a)) }),
      manifest([], { iam: role(doc(b, read)) }),
    );
    expect(diff.iam).toEqual([]);
  });
});

describe("state machine changes", () => {
  const definition = (maxAttempts: number, catchTo: string) => ({
    StartAt: "A",
    States: {
      A: {
        Type: "Task",
        Resource: "arn:fn",
        Next: "B",
        Retry: [
          {
            ErrorEquals: ["TransientError"],
            IntervalSeconds: 2,
            MaxAttempts: maxAttempts,
            BackoffRate: 2,
          },
        ],
        Catch: [{ ErrorEquals: ["States.ALL"], Next: catchTo }],
      },
      B: { Type: "Succeed" },
      F: { Type: "Fail" },
      G: { Type: "Fail" },
    },
  });
  const sm = (d: Json) => manifest([], { stateMachines: { sfn: stateGraph(d) } });

  it("reports a retry change on its state", () => {
    const [change] = diffManifests(sm(definition(3, "F")), sm(definition(5, "F"))).stateMachines;
    expect(change.statesChanged.map((s) => [s.state, s.fields])).toEqual([["A", ["retry"]]]);
    expect(change.edgesAdded).toEqual([]);
  });

  it("reports a catch change as the state's catch and its edges", () => {
    const [change] = diffManifests(sm(definition(3, "F")), sm(definition(3, "G"))).stateMachines;
    expect(change.statesChanged.map((s) => [s.state, s.fields])).toEqual([["A", ["catch"]]]);
    expect(change.edgesAdded).toEqual(["A -> G (catch States.ALL)"]);
    expect(change.edgesRemoved).toEqual(["A -> F (catch States.ALL)"]);
  });

  it("names the inner states of a Map and Parallel branches by path", () => {
    const graph = stateGraph({
      StartAt: "M",
      States: {
        M: {
          Type: "Map",
          End: true,
          ItemProcessor: {
            StartAt: "Fit",
            States: { Fit: { Type: "Task", Resource: "x", End: true } },
          },
        },
        P: {
          Type: "Parallel",
          End: true,
          Branches: [{ StartAt: "X", States: { X: { Type: "Pass", End: true } } }],
        },
      },
    });
    expect(Object.keys(graph.states)).toEqual(["M", "M/Fit", "P", "P/0/X"]);
    expect(graph.edges).toContain("M -> M/Fit (start)");
    expect(graph.edges).toContain("P -> P/0/X (start)");
  });
});

describe("schedules and policy", () => {
  const schedule = (expression: string) => ({
    expression,
    timeZone: "UTC",
    state: "ENABLED",
    target: "arn:sfn",
    input: null,
  });

  it("reports a schedule's changed fields only", () => {
    const diff = diffManifests(
      manifest([], { schedules: { s: schedule("rate(1 day)") } }),
      manifest([], { schedules: { s: schedule("rate(2 days)") } }),
    );
    expect(diff.schedules.map((s) => [s.name, s.status, s.fields])).toEqual([
      ["s", "changed", ["expression"]],
    ]);
  });

  it("splits findings into new, fixed and every mandatory one of the head", () => {
    const f = (rule: string, level: PolicyFinding["level"]): PolicyFinding => ({
      rule,
      level,
      message: rule,
    });
    const policy = (...findings: PolicyFinding[]) => ({
      mandatory: findings.filter((x) => x.level === "mandatory").length,
      advisory: 0,
      findings,
    });
    const diff = diffManifests(
      manifest([], { policy: policy(f("old", "mandatory"), f("gone", "advisory")) }),
      manifest([], { policy: policy(f("old", "mandatory"), f("new", "mandatory")) }),
    );
    expect(diff.policy.new.map((x) => x.rule)).toEqual(["new"]);
    expect(diff.policy.fixed.map((x) => x.rule)).toEqual(["gone"]);
    expect(diff.policy.mandatory.map((x) => x.rule)).toEqual(["old", "new"]);
    const md = renderDiffMarkdown(diff, { base: BASE.header }).text;
    expect(md).toContain("New mandatory violations:\n- **new**");
    expect(md).toContain("Existing mandatory violations:\n- **old**");
    expect(md).toContain("Fixed:\n- **gone**");
  });
});

describe("markdown", () => {
  it("says no changes explicitly", () => {
    const diff = diffManifests(manifest([base]), manifest([base]));
    const md = renderDiffMarkdown(diff, { base: BASE.header });
    expect(md.text).toContain("**No changes.**");
    expect(md.truncated).toBe(false);
  });

  it("never exceeds the limit and says where the full diff is when it cuts", () => {
    const lines = fc.array(fc.string({ maxLength: 300 }), { maxLength: 400 });
    fc.assert(
      fc.property(lines, fc.integer({ min: 400, max: 5000 }), (ls, max) => {
        const out = fitToLimit(ls, max, "full.json");
        expect(out.text.length).toBeLessThanOrEqual(max);
        if (out.truncated) expect(out.text).toContain("the full diff is in `full.json`");
        else expect(out.text).toBe(`${ls.join("\n")}\n`);
      }),
    );
  });

  it("keeps the policy section ahead of resources when a long diff is cut", () => {
    const many = Array.from({ length: 400 }, (_, i) => resource(TABLE, `t${i}`, { hashKey: "pk" }));
    const finding: PolicyFinding = { rule: "bad", level: "mandatory", message: "a violation" };
    const diff = diffManifests(
      manifest([]),
      manifest(many, { policy: { mandatory: 1, advisory: 0, findings: [finding] } }),
    );
    const md = renderDiffMarkdown(diff, { base: BASE.header, maxChars: 3000, jsonPath: "d.json" });
    expect(md.truncated).toBe(true);
    expect(md.text.length).toBeLessThanOrEqual(3000);
    expect(md.text).toContain("- **bad** (mandatory): a violation");
    expect(md.text).toContain("1 mandatory policy violation** (exit 3)");
  });
});

describe("isWildcard", () => {
  it.each([
    ["s3:*", "arn:aws:s3:::b/p/*", true],
    ["s3:Get*", "arn:aws:s3:::b", true],
    ["s3:GetObject", "*", true],
    ["s3:GetObject", "arn:aws:s3:::*", true],
    ["dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:1:table/*", true],
    ["dynamodb:GetItem", "arn:aws:dynamodb:*:1:table/t", true],
    ["not s3:DeleteObject", "arn:aws:s3:::b", true],
    ["s3:GetObject", "arn:aws:s3:::b/p/*", false],
    ["dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:1:table/t", false],
  ])("%s on %s: %s", (action, resource, expected) => {
    expect(isWildcard({ effect: "Allow", action, resource, policy: "p" })).toBe(expected);
  });

  it("never flags a Deny", () => {
    expect(isWildcard({ effect: "Deny", action: "s3:*", resource: "*", policy: "p" })).toBe(false);
  });
});
