/**
 * The CrossGuard policy pack: `pulumi preview --policy-pack infra/policy`. It only constructs
 * the pack; the rules live in `rules.ts`. Never import this file from tests or the program:
 * `new PolicyPack` starts a gRPC server and never exits.
 */
import { type Policies, PolicyPack } from "@pulumi/policy";
import { allRules } from "./rules.ts";

const policies: Policies = allRules;

new PolicyPack("orchard", { policies });
