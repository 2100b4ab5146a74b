/**
 * `orchard-ml`: the package's version and the scaffold, for tools that set up platform
 * repositories without spawning `orchard init` (which calls `scaffold` and prints the files).
 * The command itself is the `orchard` bin.
 */

export { ORCHARD_VERSION } from "../pipeline/version.ts";
export { type InitResult, ScaffoldError, scaffold } from "./init.ts";
