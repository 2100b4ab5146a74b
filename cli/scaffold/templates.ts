/**
 * The files `orchard init` writes: a platform repository a team owns, which depends on
 * orchard-ml instead of forking it. Everything Orchard-specific stays in the package (the
 * components, the Lambda handlers, the policy rules), so an upgrade is `npm install
 * orchard-ml@<version>` plus whatever the CHANGELOG says, never a merge.
 */
import { ORCHARD_VERSION } from "../../pipeline/version.ts";

export interface ScaffoldOptions {
  /** The project's name (package.json, Pulumi.yaml): the directory's name by default. */
  project: string;
  /** The example pipeline's name: pipelines/<pipeline>/pipeline.yaml. */
  pipeline: string;
  /** The orchard-ml dependency (default `^<running version>`). */
  orchardDependency: string;
}

/** Versions the scaffold's own tooling is pinned to: the ones Orchard itself is tested with. */
export const SCAFFOLD_DEV_DEPENDENCIES = {
  "@types/node": "20.19.43",
  typescript: "5.9.3",
  vitest: "4.1.12",
};

export function defaultDependency(): string {
  return `^${ORCHARD_VERSION}`;
}

/** package.json, merged into an existing one (`npm install orchard-ml` before init). */
export function packageJson(
  options: ScaffoldOptions,
  existing: Record<string, unknown> = {},
): string {
  const deps = (existing.dependencies ?? {}) as Record<string, string>;
  const devDeps = (existing.devDependencies ?? {}) as Record<string, string>;
  const { "orchard-ml": installed, ...otherDev } = devDeps;
  const pkg = {
    ...existing,
    name: existing.name ?? options.project,
    version: existing.version ?? "0.1.0",
    private: true,
    type: "module",
    engines: { node: "^20.19.0 || ^22.13.0" },
    scripts: {
      ...((existing.scripts ?? {}) as Record<string, string>),
      start: `orchard run pipelines/${options.pipeline}/pipeline.yaml`,
      test: "tsc --noEmit && vitest run",
      synth: "orchard synth --stack staging",
      build: "orchard build",
    },
    dependencies: {
      ...deps,
      "orchard-ml": deps["orchard-ml"] ?? installed ?? options.orchardDependency,
    },
    devDependencies: { ...otherDev, ...SCAFFOLD_DEV_DEPENDENCIES },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

export function pulumiYaml(options: ScaffoldOptions): string {
  return `# The platform's Pulumi program. Deploy: \`npm run build && pulumi up -s staging\` (README.md).
# The program is TypeScript run by Node with orchard-ml's loader (no ts-node, no tsx).
name: ${options.project}
description: ML pipelines on Orchard (orchard-ml)
runtime:
  name: nodejs
  options:
    typescript: false
    nodeargs: "--import orchard-ml/register"
main: infra/index.ts
stackConfigDir: stacks
`;
}

export const INFRA_INDEX = `/**
 * The Pulumi program: the whole Orchard platform from the stack config
 * (stacks/Pulumi.<stack>.yaml). The stack outputs below are what \`orchard cloud\` and
 * \`orchard promote\` read. To change a component, build it yourself from orchard-ml/infra
 * (Platform and the components it is made of take plain typed arguments).
 */
import { fileURLToPath } from "node:url";
import { orchardStack } from "orchard-ml/infra";

const stack = orchardStack({ rootDir: fileURLToPath(new URL("..", import.meta.url)) });

export const region = stack.region;
export const rawBucket = stack.rawBucket;
export const featuresBucket = stack.featuresBucket;
export const artifactsBucket = stack.artifactsBucket;
export const accessLogsBucket = stack.accessLogsBucket;
export const keyArn = stack.keyArn;
export const featureTable = stack.featureTable;
export const registryTable = stack.registryTable;
export const alertTopicArn = stack.alertTopicArn;
export const humanRoleArns = stack.humanRoleArns;
export const pipelines = stack.pipelines;
`;

export function stagingStack(options: ScaffoldOptions): string {
  return `# Staging: cheap to throw away. Nothing protected, two weeks of logs, runs logged with their
# input and output, the example data uploaded with the deployment.
config:
  aws:region: eu-west-1
  orchard:pipelines:
    - spec: pipelines/${options.pipeline}/pipeline.yaml
      schedule: cron(0 6 ? * MON-FRI *)
      uploadSource: true
  orchard:timeZone: Europe/Berlin
  orchard:logRetentionDays: 14
  orchard:protect: false
  orchard:logExecutionData: true
`;
}

export function prodStack(options: ScaffoldOptions): string {
  return `# Prod: stateful resources protected, a year of logs, no execution data in logs, failures
# e-mailed, and the source read from your landing bucket (replace the example URI).
config:
  aws:region: eu-west-1
  orchard:pipelines:
    - spec: pipelines/${options.pipeline}/pipeline.yaml
      schedule: cron(0 4 * * ? *)
      sourceUri: s3://my-landing-bucket/${options.pipeline}/data.csv
  orchard:timeZone: Europe/Berlin
  orchard:logRetentionDays: 365
  orchard:protect: true
  orchard:logExecutionData: false
  orchard:alarmEmail: ml-oncall@example.com
`;
}

/** The example pipeline over the bundled penguins data (data.csv next to it). */
export function examplePipeline(options: ScaffoldOptions): string {
  return `# An example pipeline: classify penguins by species. \`npm start\` runs it locally.
# Every key and its default: https://www.npmjs.com/package/orchard-ml (pipeline spec).
name: ${options.pipeline}
seed: 42
source:
  uri: data.csv
target: species
task: classification
id: penguin_id
preprocessing:
  impute: { numeric: median, categorical: most_frequent }
  scale: standard
split:
  strategy: stratified
  testFraction: 0.2
model:
  trees: 50
  maxFeatures: sqrt
search:
  strategy: grid
  folds: 3
  metric: f1_macro
  grid:
    maxDepth: [4, null]
gate:
  minimum: 0.9
  margin: 0
`;
}

export const TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: {
      target: "ES2022",
      lib: ["ES2023"],
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      skipLibCheck: true,
      allowImportingTsExtensions: true,
      verbatimModuleSyntax: true,
      noEmit: true,
      types: ["node"],
    },
    include: ["infra", "test", "pipelines", "vitest.config.ts"],
  },
  null,
  2,
)}\n`;

export const VITEST_CONFIG = `import { defineConfig } from "vitest/config";

// Local runs and synthesis take seconds, not vitest's default 5.
export default defineConfig({ test: { testTimeout: 180_000, hookTimeout: 180_000 } });
`;

export const PLATFORM_TEST = `/**
 * What must hold before a merge: every pipeline spec is valid, both stacks synthesize under
 * mocks with no mandatory policy or AWS-limit finding, and each pipeline runs end to end
 * locally (the same state machine and handlers as in the cloud).
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSpec, mandatoryFindings, runPipeline, synthStack } from "orchard-ml/testing";
import { afterAll, describe, expect, it } from "vitest";

const pipelines = readdirSync("pipelines").map((name) => join("pipelines", name, "pipeline.yaml"));

describe.each(pipelines)("%s", (spec) => {
  it("is a valid pipeline spec", async () => {
    await expect(loadSpec(spec)).resolves.toMatchObject({ name: expect.any(String) });
  });
});

describe.each(["staging", "prod"])("stack %s", (stack) => {
  it("synthesizes with no mandatory finding", async () => {
    const manifest = await synthStack({ stack });
    expect(manifest.resources.length).toBeGreaterThan(0);
    expect(mandatoryFindings(manifest)).toEqual([]);
  });
});

describe("local runs", () => {
  const stateDir = mkdtempSync(join(tmpdir(), "platform-test-"));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it.each(pipelines)("%s runs end to end", async (spec) => {
    const run = await runPipeline(spec, { stateDir });
    expect(run.error).toBeNull();
    expect(run.status).toBe("SUCCEEDED");
  });
});
`;

export const GITIGNORE = `node_modules/
dist/
.orchard/
*.log
*.predictions.csv
*.predictions.jsonl
`;

/** Pull requests: tests, and the offline infra review of both stacks as one PR comment. */
export const INFRA_REVIEW_WORKFLOW = `# Pull requests: the platform's tests, and \`orchard diff\` of each stack against the base
# branch (offline: the Pulumi program under mocks, no cloud credentials), posted as one
# comment and failing on a mandatory policy violation (exit 3).
name: infra-review
on:
  pull_request:
permissions:
  contents: read
  pull-requests: write
env:
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true"
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with: { node-version: 20, cache: npm }
      - run: npm ci
      - run: npm test
  review:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with: { fetch-depth: 0 }
      - uses: actions/setup-node@v4
        with: { node-version: 20, cache: npm }
      - run: npm ci
      - id: diff
        run: |
          set +e
          status=0
          echo "<!-- orchard-infra-review -->" > infra-review.md
          for stack in staging prod; do
            npx orchard diff --stack "$stack" --base "origin/\${{ github.base_ref }}" \\
              --max-chars 32000 --json-out "infra-diff-$stack.json" >> infra-review.md
            code=$?
            [ "$code" -ne 0 ] && status=$code
          done
          echo "status=$status" >> "$GITHUB_OUTPUT"
      - uses: actions/github-script@v7
        if: always() && github.event.pull_request.head.repo.full_name == github.repository
        with:
          script: |
            const body = require("node:fs").readFileSync("infra-review.md", "utf8");
            const { owner, repo } = context.repo;
            const issue_number = context.payload.pull_request.number;
            const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number });
            const mine = comments.find((c) => c.body?.startsWith("<!-- orchard-infra-review -->"));
            if (mine) await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
            else await github.rest.issues.createComment({ owner, repo, issue_number, body });
      - if: steps.diff.outputs.status != '0'
        run: exit 1
`;

/**
 * Merge to main: build, \`pulumi up\` staging, a smoke run in staging, then prod behind the
 * \`production\` GitHub environment (add required reviewers to it: that is the approval).
 */
export const DEPLOY_WORKFLOW = `# Continuous deployment. Merge to main -> test -> build the Lambda bundles -> pulumi up
# staging -> a smoke run of every pipeline in staging (orchard cloud run --wait) -> prod, which
# waits for approval: give the "production" environment required reviewers under
# Settings > Environments. Secrets: AWS_ROLE_ARN (a role this repository assumes through
# GitHub OIDC) and PULUMI_ACCESS_TOKEN; optional variable PULUMI_ORG.
name: deploy
on:
  push:
    branches: [main]
permissions:
  contents: read
  id-token: write
concurrency:
  group: deploy
  cancel-in-progress: false
env:
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true"
  PULUMI_ACCESS_TOKEN: \${{ secrets.PULUMI_ACCESS_TOKEN }}
jobs:
  staging:
    runs-on: ubuntu-latest
    environment: staging
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with: { node-version: 20, cache: npm }
      - run: npm ci
      - run: npm test
      - run: npm run build
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: \${{ secrets.AWS_ROLE_ARN }}
          aws-region: eu-west-1
      - uses: pulumi/actions@v6
        with:
          command: up
          stack-name: \${{ vars.PULUMI_ORG != '' && format('{0}/staging', vars.PULUMI_ORG) || 'staging' }}
      - name: Smoke run in staging
        run: |
          mkdir -p stacks/outputs
          pulumi stack output --json -s staging > stacks/outputs/staging.json
          for spec in pipelines/*/pipeline.yaml; do
            name=$(basename "$(dirname "$spec")")
            npx orchard cloud run "$name" --stack staging --wait
          done
  prod:
    needs: staging
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with: { node-version: 20, cache: npm }
      - run: npm ci
      - run: npm run build
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: \${{ secrets.AWS_ROLE_ARN }}
          aws-region: eu-west-1
      - uses: pulumi/actions@v6
        with:
          command: up
          stack-name: \${{ vars.PULUMI_ORG != '' && format('{0}/prod', vars.PULUMI_ORG) || 'prod' }}
`;

export function readme(options: ScaffoldOptions): string {
  return `# ${options.project}

ML pipelines on [Orchard](https://www.npmjs.com/package/orchard-ml): each pipeline is a spec
under \`pipelines/\`; the same AWS Step Functions state machine runs on a laptop (\`npm start\`)
and on AWS (\`pulumi up\`). This repository depends on \`orchard-ml\`; it is not a fork of it.

| | |
|---|---|
| \`npm start\` | runs \`pipelines/${options.pipeline}\` locally (embedded S3 and DynamoDB under \`.orchard/\`) |
| \`npm test\` | type check; every spec validates; staging and prod synthesize with no mandatory policy finding; each pipeline runs locally |
| \`npx orchard new pipeline <name> --data FILE --target COL\` | a new pipeline from a data file, added to both stacks |
| \`npx orchard synth --stack staging\` | the stack's resources, IAM, state machines and policy findings, offline |
| \`npx orchard diff --stack staging\` | what a change does to a stack, offline (also commented on every pull request) |
| \`npm run build && pulumi up -s staging\` | deploy (the Lambda bundles go to \`dist/lambdas/\`) |
| \`npx orchard cloud run ${options.pipeline} --stack staging --wait\` | run a deployed pipeline |

Deploying: \`.github/workflows/deploy.yml\` deploys staging on every merge to main, runs every
pipeline there once, then deploys prod after approval (give the \`production\` environment
required reviewers). It needs the secrets \`AWS_ROLE_ARN\` and \`PULUMI_ACCESS_TOKEN\`.

Upgrading Orchard: \`npm install orchard-ml@<version>\`, read its CHANGELOG, \`npm test\`, and
\`npx orchard diff --stack prod\` to see what the upgrade changes in each stack before merging.
`;
}
