/** `model.type: custom` in the spec: its keys, defaults, and the rules that come with it. */
import { describe, expect, it } from "vitest";
import { SpecError } from "../../pipeline/errors.ts";
import { expandCandidates } from "../../pipeline/search/candidates.ts";
import { parseSpec } from "../../pipeline/spec/parse-spec.ts";

const base = "name: p\nsource:\n  uri: data.csv\ntarget: y\ntask: classification\n";

function parse(extra: string) {
  return parseSpec(`${base}${extra}`, { file: "p.yaml" });
}

function message(extra: string): string {
  try {
    parse(extra);
  } catch (err) {
    if (err instanceof SpecError) return err.message;
    throw err;
  }
  throw new Error("expected a SpecError");
}

describe("model.type custom", () => {
  it("takes command and image, and runs as one candidate that names only its family", () => {
    const spec = parse(
      "model:\n  type: custom\n  command: [/usr/bin/python3, train.py]\n  image: acme/trainer:1\n",
    );
    expect(spec.model.type).toBe("custom");
    expect(spec.model.custom).toEqual({
      image: "acme/trainer:1",
      command: ["/usr/bin/python3", "train.py"],
    });
    expect(spec.search.folds).toBeNull();
    const candidates = expandCandidates(spec.model, spec.search, spec.seed);
    expect(candidates).toHaveLength(1);
    expect(candidates[0].params.type).toBe("custom");
    expect(candidates[0].params).not.toHaveProperty("linear");
  });

  it("leaves the image to deployment", () => {
    expect(parse("model:\n  type: custom\n  command: [train]\n").model.custom?.image).toBeNull();
  });

  it("is absent from the other families' specs", () => {
    expect(parse("model:\n  type: random-forest\n").model).not.toHaveProperty("custom");
  });

  it.each([
    ["model:\n  type: custom\n", /model\.command.*required with model\.type custom/s],
    [
      "model:\n  type: custom\n  command: [train]\nsearch:\n  strategy: grid\n  grid:\n    maxDepth: [2, 3]\n",
      /search.*a custom trainer searches \(or not\) itself/s,
    ],
    [
      "model:\n  type: custom\n  command: [train]\nsearch:\n  folds: 3\n",
      /remove search\.strategy and search\.folds/,
    ],
    [
      "model:\n  type: custom\n  command: [train]\n  trees: 10\n",
      /model\.trees.*not a key of model\.type custom/s,
    ],
    [
      "model:\n  type: random-forest\n  command: [train]\n",
      /model\.command.*not a key of model\.type random-forest/s,
    ],
    [
      "search:\n  strategy: grid\n  grid:\n    type: [random-forest, custom]\n",
      /search\.grid\.type\[1\].*custom cannot be searched/s,
    ],
    ["model:\n  type: custom\n  command: []\n", /model\.command/],
  ])("refuses %j", (extra, expected) => {
    expect(message(extra)).toMatch(expected);
  });
});
