/**
 * `orchard promote` against two sets of embedded S3 + DynamoDB standing in for the staging and
 * prod stacks' stores: the core over open stores, then the command over state directories.
 */
import { rm } from "node:fs/promises";
import { userInfo } from "node:os";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { PromotionRefusedError } from "../../cli/cloud/errors.ts";
import { type PromotionSide, promoteModel } from "../../cli/cloud/promote-model.ts";
import { main } from "../../cli/promote.ts";
import { ModelVersionNotFoundError } from "../../pipeline/errors.ts";
import { parseSpec } from "../../pipeline/spec/parse-spec.ts";
import type { ModelRegistry, ModelStatus } from "../../pipeline/store.ts";
import {
  makeStateDir,
  patternBytes,
  startTestServices,
  type TestServices,
} from "../support/local-services.ts";

const NOW = new Date("2025-03-14T12:00:00.000Z");

function specYaml(pipeline: string, gate = "minimum: 0.8\n  margin: 0") {
  return `name: ${pipeline}\nsource:\n  uri: d.csv\ntarget: y\ntask: classification\nsearch:\n  metric: f1_macro\ngate:\n  ${gate}\n`;
}

interface SeedVersion {
  f1: number;
  status?: ModelStatus;
  champion?: boolean;
  /** Selects the model bytes; equal seeds give equal (same-key) models. */
  model?: number;
}

/** Registers versions as Evaluate would: spec and model stored content-addressed first. */
async function seed(
  stores: TestServices["stores"],
  pipeline: string,
  versions: SeedVersion[],
  spec = specYaml(pipeline),
) {
  const storedSpec = await stores.artifacts.putContent(
    "artifacts",
    `${pipeline}/specs`,
    new TextEncoder().encode(spec),
    "yaml",
  );
  const out = [];
  for (const [i, v] of versions.entries()) {
    const bytes = patternBytes(3000 + i, v.model ?? i + 1);
    const model = await stores.artifacts.putContent(
      "artifacts",
      `${pipeline}/models`,
      bytes,
      "orchard-model",
    );
    const registered = await stores.registry.registerVersion(pipeline, {
      modelUri: model.uri,
      metrics: { f1_macro: v.f1, accuracy: v.f1 + 0.01 },
      params: { trees: 10 + i },
      lineage: {
        dataSha256: "d".repeat(64),
        specSha256: storedSpec.sha256,
        seed: 42,
        orchardVersion: "0.1.0",
        createdAt: "2025-03-01T00:00:00.000Z",
      },
      status: v.status ?? "approved",
    });
    if (v.champion) {
      const current = await stores.registry.getChampion(pipeline);
      await stores.registry.promote(pipeline, registered.version, {
        expectedChampion: current?.version ?? null,
      });
    }
    out.push({ ...registered, bytes });
  }
  return { versions: out, specUri: storedSpec.uri, specBytes: new TextEncoder().encode(spec) };
}

describe("promoteModel between two stacks' stores", () => {
  let staging: TestServices;
  let prod: TestServices;
  let n = 0;
  const fresh = () => `p${++n}`;
  const side = (t: TestServices, stack: string, extra: Partial<PromotionSide> = {}) => ({
    stack,
    artifacts: t.stores.artifacts,
    registry: t.stores.registry,
    ...extra,
  });
  const run = (pipeline: string, extra: Partial<Parameters<typeof promoteModel>[0]> = {}) =>
    promoteModel({
      pipeline,
      from: side(staging, "staging"),
      to: side(prod, "prod"),
      actor: "alice",
      now: NOW,
      ...extra,
    });

  beforeAll(async () => {
    [staging, prod] = await Promise.all([startTestServices(), startTestServices()]);
  });
  afterAll(async () => {
    await Promise.all([staging?.close(), prod?.close()]);
  });

  it("copies the staging champion byte for byte and makes it prod's champion", async () => {
    const p = fresh();
    const { versions } = await seed(staging.stores, p, [{ f1: 0.85 }, { f1: 0.9, champion: true }]);
    const result = await run(p);
    expect(result.promoted).toBe(true);
    const champion = await prod.stores.registry.getChampion(p);
    expect(champion).toMatchObject({
      version: "v1",
      status: "approved",
      metrics: versions[1].metrics,
      params: versions[1].params,
      lineage: versions[1].lineage,
    });
    // Byte-exact, at prod's own bucket and the same content key.
    const copied = await prod.stores.artifacts.get(champion?.modelUri ?? "");
    expect(Buffer.from(copied).equals(Buffer.from(versions[1].bytes))).toBe(true);
    expect(champion?.modelUri).toBe(
      versions[1].modelUri.replace(/^s3:\/\/[^/]+/, "s3://orchard-artifacts"),
    );
  });

  it("copies the lineage's spec and records who and when", async () => {
    const p = fresh();
    const { specBytes, versions } = await seed(staging.stores, p, [{ f1: 0.9, champion: true }]);
    const result = await run(p);
    const specUri = prod.stores.artifacts.uriFor(
      "artifacts",
      `${p}/specs/${versions[0].lineage.specSha256}.yaml`,
    );
    expect(
      Buffer.from(await prod.stores.artifacts.get(specUri)).equals(Buffer.from(specBytes)),
    ).toBe(true);
    const champion = await prod.stores.registry.getChampion(p);
    expect(champion?.promotions).toEqual([{ at: NOW.toISOString(), by: "alice", previous: null }]);
    if (!result.promoted) throw new Error("expected a promotion");
    const record = JSON.parse(
      new TextDecoder().decode(await prod.stores.artifacts.get(result.recordUri)),
    );
    expect(record).toMatchObject({
      pipeline: p,
      from: { stack: "staging", version: "v1" },
      to: { stack: "prod", version: "v1", previousChampion: null },
      by: "alice",
      at: NOW.toISOString(),
    });
  });

  it("a better version replaces prod's champion conditionally on the one it was compared with", async () => {
    const p = fresh();
    await seed(staging.stores, p, [{ f1: 0.85, champion: true }, { f1: 0.92 }]);
    await run(p, { version: "v1" });
    const second = await run(p, { version: "v2" });
    expect(second.promoted).toBe(true);
    const champion = await prod.stores.registry.getChampion(p);
    expect(champion?.version).toBe("v2");
    expect(champion?.promotions[0]).toMatchObject({ previous: "v1", by: "alice" });
  });

  it("promoting what prod already runs changes nothing", async () => {
    const p = fresh();
    await seed(staging.stores, p, [{ f1: 0.9, champion: true }]);
    await run(p);
    const again = await run(p);
    expect(again).toMatchObject({ promoted: false, champion: "v1" });
    expect((await prod.stores.registry.listVersions(p)).map((v) => v.version)).toEqual(["v1"]);
  });

  it.each<[ModelStatus, RegExp]>([
    ["rejected", /status "rejected": it failed its gate there/],
    ["candidate", /never evaluated/],
  ])("refuses a %s version and leaves prod untouched", async (status, message) => {
    const p = fresh();
    const { versions } = await seed(staging.stores, p, [{ f1: 0.95, status }]);
    const failure = run(p, { version: "v1" });
    await expect(failure).rejects.toThrow(PromotionRefusedError);
    await expect(run(p, { version: "v1" })).rejects.toThrow(message);
    expect(await prod.stores.registry.listVersions(p)).toEqual([]);
    const target = prod.stores.artifacts.uriFor(
      "artifacts",
      versions[0].modelUri.split("/").slice(3).join("/"),
    );
    expect(await prod.stores.artifacts.exists(target)).toBe(false);
  });

  it("refuses when prod's gate would not pass: prod's champion is better", async () => {
    const p = fresh();
    await seed(prod.stores, p, [{ f1: 0.95, champion: true, model: 99 }]);
    const { versions } = await seed(staging.stores, p, [{ f1: 0.9, champion: true }]);
    await expect(run(p)).rejects.toThrow(
      /v1 does not pass prod's gate .*f1_macro 0\.9 does not beat champion v1 \(0\.95\)/,
    );
    expect((await prod.stores.registry.getChampion(p))?.metrics.f1_macro).toBe(0.95);
    const target = prod.stores.artifacts.uriFor(
      "artifacts",
      versions[0].modelUri.split("/").slice(3).join("/"),
    );
    expect(await prod.stores.artifacts.exists(target)).toBe(false);
  });

  it("refuses when the gate of --spec is stricter than the version", async () => {
    const p = fresh();
    await seed(staging.stores, p, [{ f1: 0.9, champion: true }]);
    const spec = parseSpec(specYaml(p, "minimum: 0.95\n  margin: 0"), { file: "prod.yaml" });
    await expect(run(p, { spec })).rejects.toThrow(
      /prod's gate \(--spec\): f1_macro 0\.9 is below the minimum 0\.95/,
    );
  });

  it("reads the gate from prod's deployed spec when its URI is known", async () => {
    const p = fresh();
    await seed(staging.stores, p, [{ f1: 0.9, champion: true }]);
    const deployed = await prod.stores.artifacts.putContent(
      "artifacts",
      `${p}/specs`,
      new TextEncoder().encode(specYaml(p, "minimum: 0.93\n  margin: 0")),
      "yaml",
    );
    await expect(run(p, { to: side(prod, "prod", { specUri: deployed.uri }) })).rejects.toThrow(
      `prod's gate (${deployed.uri})`,
    );
  });

  it("loses to a concurrent promotion in prod instead of overwriting its champion", async () => {
    const p = fresh();
    await seed(staging.stores, p, [{ f1: 0.9, champion: true }]);
    const other = await seed(prod.stores, p, [{ f1: 0.8, model: 77 }]);
    const racing: ModelRegistry = {
      ...prod.stores.registry,
      getVersion: (a, b) => prod.stores.registry.getVersion(a, b),
      getChampion: (a) => prod.stores.registry.getChampion(a),
      listVersions: (a) => prod.stores.registry.listVersions(a),
      registerVersion: (a, b) => prod.stores.registry.registerVersion(a, b),
      recordCanary: (a, b, c) => prod.stores.registry.recordCanary(a, b, c),
      promote: async (pipeline, version, options) => {
        // Another operator promotes prod's own v1 between our read and our write.
        await prod.stores.registry.promote(pipeline, other.versions[0].version, {
          expectedChampion: null,
          by: "bob",
        });
        return prod.stores.registry.promote(pipeline, version, options);
      },
    };
    await expect(run(p, { to: { ...side(prod, "prod"), registry: racing } })).rejects.toThrow(
      /was not promoted: .*expected no champion, but it is v1 \(another promotion won\)/,
    );
    expect((await prod.stores.registry.getChampion(p))?.promotions[0].by).toBe("bob");
  });

  it.each([
    [{ version: "v9" }, ModelVersionNotFoundError],
    [{}, PromotionRefusedError],
  ])("a missing version (%j) is a named error", async (extra, type) => {
    const p = fresh();
    await seed(staging.stores, p, [{ f1: 0.9 }]);
    await expect(run(p, extra)).rejects.toThrow(type);
  });
});

describe("orchard promote over two state directories", () => {
  let out: string[];
  let err: string[];
  const dirs: string[] = [];

  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  async function stack(versions: SeedVersion[]) {
    const t = await startTestServices();
    const seeded = await seed(t.stores, "penguins", versions);
    await t.close({ keep: true });
    dirs.push(t.stateDir);
    return { dir: t.stateDir, ...seeded };
  }

  async function orchard(...argv: string[]) {
    out = [];
    err = [];
    vi.spyOn(process.stdout, "write").mockImplementation((s) => out.push(String(s)) > 0);
    vi.spyOn(process.stderr, "write").mockImplementation((s) => err.push(String(s)) > 0);
    const code = await main(argv);
    vi.restoreAllMocks();
    return { code, stdout: out.join(""), stderr: err.join("") };
  }

  async function inspect(dir: string) {
    const t = await startTestServices(dir);
    try {
      const champion = await t.stores.registry.getChampion("penguins");
      const bytes = champion ? await t.stores.artifacts.get(champion.modelUri) : null;
      return { champion, bytes };
    } finally {
      await t.close({ keep: true });
    }
  }

  it("promotes, prints JSON, and records the OS user by default", async () => {
    const staging = await stack([{ f1: 0.9, champion: true }]);
    const prod = await stack([]);
    const { code, stdout } = await orchard(
      "penguins",
      "--from",
      "staging",
      "--to",
      "prod",
      "--from-state-dir",
      staging.dir,
      "--to-state-dir",
      prod.dir,
      "--json",
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ promoted: true, record: { to: { version: "v1" } } });
    const { champion, bytes } = await inspect(prod.dir);
    expect(champion?.promotions[0].by).toBe(userInfo().username);
    expect(Buffer.from(bytes ?? []).equals(Buffer.from(staging.versions[0].bytes))).toBe(true);
  });

  it("--actor overrides who is recorded; a refused promotion exits 1", async () => {
    const staging = await stack([
      { f1: 0.9, champion: true },
      { f1: 0.7, status: "rejected" },
    ]);
    const prod = await stack([]);
    const args = [
      "--from",
      "staging",
      "--to",
      "prod",
      "--from-state-dir",
      staging.dir,
      "--to-state-dir",
      prod.dir,
    ];
    const refused = await orchard("penguins", ...args, "--version", "v2");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /orchard promote: PromotionRefusedError: staging v2 .* failed its gate/,
    );
    const ok = await orchard("penguins", ...args, "--actor", "release-bot");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^Promoted penguins staging v1 → prod v1 \(champion before: none\)/);
    expect((await inspect(prod.dir)).champion?.promotions[0].by).toBe("release-bot");
  });

  it.each([
    [["penguins", "--from", "staging"], "pass --from STACK and --to STACK"],
    [["penguins", "--from", "prod", "--to", "prod"], "must be different stacks"],
    [["--from", "a", "--to", "b"], "expected one pipeline name"],
    [
      ["penguins", "--from", "a", "--to", "b", "--to-outputs", "x.json", "--to-state-dir", "d"],
      "not both",
    ],
  ])("usage error %j exits 2", async (argv, message) => {
    const { code, stderr } = await orchard(...argv);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it("a stack without outputs says how to export them", async () => {
    const cwd = await makeStateDir();
    dirs.push(cwd);
    const spy = vi.spyOn(process, "cwd").mockReturnValue(cwd);
    const { code, stderr } = await orchard("penguins", "--from", "staging", "--to", "prod");
    spy.mockRestore();
    expect(code).toBe(1);
    expect(stderr).toContain('StackOutputsError: No outputs for stack "staging"');
    expect(stderr).toContain("pulumi stack output --json -s staging");
    expect(stderr).toContain("or pass --from-outputs FILE");
  });
});
