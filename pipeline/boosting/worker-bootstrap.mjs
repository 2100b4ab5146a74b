// Starts a histogram worker from TypeScript sources: worker threads do not inherit the
// parent's tsx loader on Node 20, so register tsx here, then load the real entry.
import { register } from "tsx/esm/api";

register();
await import("./histogram-worker.ts");
