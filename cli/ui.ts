/**
 * `orchard ui [--port N] [--host H] [--state-dir DIR]`: a small local web app over what
 * `orchard run` recorded in the state directory — pipelines, executions (status, duration per
 * state, metrics), registry versions with the champion, and each run's report. It reads plain
 * files only, so it runs alongside `orchard run`. Stop it with Ctrl-C.
 */
import { resolve } from "node:path";
import { parse, UsageError } from "./args.ts";
import { DEFAULT_STATE_DIR } from "./local/run-pipeline.ts";
import { fail } from "./report-error.ts";
import { createUiServer } from "./ui/server.ts";

const USAGE = `Usage: orchard ui [--port N] [--host H] [--state-dir DIR]

Serves a local web UI over the runs recorded in the state directory.

  --port N         port to listen on (default 4848; 0 picks a free one)
  --host H         address to bind (default 127.0.0.1, this machine only)
  --state-dir DIR  the state directory "orchard run" wrote (default .orchard)`;

export const DEFAULT_UI_PORT = 4848;

export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parse(
      argv,
      {
        port: { type: "string" },
        host: { type: "string" },
        "state-dir": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      USAGE,
    );
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected ${positionals[0]}\n\n${USAGE}`);
    const port = Number(values.port ?? DEFAULT_UI_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError(`--port ${values.port}: use a whole number from 0 to 65535\n\n${USAGE}`);
    }
    const host = values.host ?? "127.0.0.1";
    const stateDir = resolve(values["state-dir"] ?? DEFAULT_STATE_DIR);
    const server = createUiServer(stateDir);
    await new Promise<void>((ok, ko) => {
      server.once("error", ko);
      server.listen(port, host, ok);
    });
    const address = server.address();
    const bound = typeof address === "object" && address ? address.port : port;
    process.stdout.write(
      `orchard ui: http://${host}:${bound}/ (state directory ${stateDir}); Ctrl-C stops\n`,
    );
    await new Promise<void>((done) => {
      const stop = () => server.close(() => done());
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    return 0;
  } catch (err) {
    return fail("ui", err);
  }
}
