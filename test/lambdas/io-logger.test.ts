import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger, type LogLevel } from "../../lambdas/io/logger.ts";

const fixed = () => new Date("2030-01-01T00:00:00.000Z");

function capture(level?: LogLevel) {
  const lines: string[] = [];
  const logger = createLogger({ level, now: fixed, write: (l) => lines.push(l) });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l)) };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("JSON logger", () => {
  it("writes one JSON line with level, time, message and fields", () => {
    const { logger, lines } = capture("debug");
    logger.info("ingested", { rows: 150, uri: "s3://b/k" });
    expect(lines).toEqual([
      '{"level":"info","time":"2030-01-01T00:00:00.000Z","message":"ingested","rows":150,"uri":"s3://b/k"}',
    ]);
  });

  it.each([
    ["debug", ["debug", "info", "warn", "error"]],
    ["info", ["info", "warn", "error"]],
    ["warn", ["warn", "error"]],
    ["error", ["error"]],
    ["silent", []],
  ] as const)("at level %s writes %j", (level, written) => {
    const { logger, parsed } = capture(level);
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    expect(parsed().map((e) => e.level)).toEqual(written);
  });

  it("is silent when ORCHARD_LOG_LEVEL=silent", () => {
    vi.stubEnv("ORCHARD_LOG_LEVEL", "silent");
    const lines: string[] = [];
    createLogger({ write: (l) => lines.push(l) }).error("nobody hears this");
    expect(lines).toEqual([]);
  });

  it("defaults to info for an unknown ORCHARD_LOG_LEVEL", () => {
    vi.stubEnv("ORCHARD_LOG_LEVEL", "loud");
    expect(createLogger({ write: () => {} }).level).toBe("info");
  });

  it("adds a child's fields to every line, the call's fields winning", () => {
    const { logger, parsed } = capture("info");
    logger.child({ step: "train", run: "r1" }).info("done", { run: "r2" });
    expect(parsed()[0]).toMatchObject({ step: "train", run: "r2", message: "done" });
  });

  it("serializes errors with name, message and cause", () => {
    const { logger, parsed } = capture("info");
    const err = new RangeError("outer", { cause: new TypeError("inner") });
    logger.error("failed", { err });
    expect(parsed()[0].err).toMatchObject({
      name: "RangeError",
      message: "outer",
      cause: { name: "TypeError", message: "inner" },
    });
  });

  it("writes every level to stderr, none to stdout (a CLI's stdout stays clean)", () => {
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    let errChunks: string[];
    let outChunks: string[];
    try {
      const logger = createLogger({ level: "debug", now: fixed });
      logger.debug("d");
      logger.info("i", { step: "train" });
      logger.error("e");
    } finally {
      errChunks = err.mock.calls.map(([chunk]) => String(chunk));
      outChunks = out.mock.calls.map(([chunk]) => String(chunk));
      err.mockRestore();
      out.mockRestore();
    }
    expect(outChunks).toEqual([]);
    expect(errChunks.map((chunk) => JSON.parse(chunk).message)).toEqual(["d", "i", "e"]);
    expect(errChunks[1]).toBe(
      '{"level":"info","time":"2030-01-01T00:00:00.000Z","message":"i","step":"train"}\n',
    );
  });

  it("keeps null and empty-string fields", () => {
    const { logger, lines } = capture("info");
    logger.info("m", { a: null, b: "" });
    expect(JSON.parse(lines[0])).toMatchObject({ a: null, b: "" });
  });

  it("is Powertools' Logger underneath: POWERTOOLS_LOGGER_SAMPLE_RATE=1 turns debug lines on", () => {
    vi.stubEnv("POWERTOOLS_LOGGER_SAMPLE_RATE", "1");
    const { logger, parsed } = capture("info");
    logger.debug("sampled");
    expect(parsed()).toMatchObject([{ level: "debug", message: "sampled" }]);
  });
});
