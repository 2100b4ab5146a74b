// Starts a forest worker from TypeScript sources: worker threads do not inherit the parent's
// tsx loader on Node 20 (and `--import tsx` in execArgv does not reach the worker's entry), so
// register tsx here, then load the real entry. Bundled builds start the bundled worker instead.
import { register } from "tsx/esm/api";

register();
await import("./worker.ts");
