/**
 * `orchard-ml`: the command line as functions, for scripts and tools that drive Orchard
 * without spawning it. Each `main` takes the arguments after the command name and returns
 * the exit code the command would have exited with.
 */

export { ORCHARD_VERSION } from "../pipeline/version.ts";
export { type InitResult, main as init, scaffold } from "./init.ts";
