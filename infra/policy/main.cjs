// Entry of the policy pack for the Pulumi CLI. Pulumi's policy-pack runner loads the pack with
// require() (and its own ts-node); Orchard is ESM TypeScript with `.ts` imports, run by tsx
// everywhere, so the pack registers tsx's require hook and loads index.ts through it.
require("tsx/cjs/api").register();
require("./index.ts");
