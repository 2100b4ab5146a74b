/**
 * `orchard serve`'s HTTP transport against hostile and careless clients: oversized bodies
 * (declared and streamed), slow headers and bodies trickled byte by byte, oversized headers,
 * malformed HTTP, many rows; each gets its 4xx quickly and the server keeps answering.
 * Graceful shutdown lets a request in flight finish and refuses new connections.
 */
import { connect, type Socket } from "node:net";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startHttpServer } from "../../cli/serve/http-server.ts";
import type { PredictService } from "../../pipeline/serving/handle.ts";
import { DEFAULT_LIMITS } from "../../pipeline/serving/limits.ts";
import { ServedModels } from "../../pipeline/serving/served-models.ts";
import { memoryServing, PIPELINE, trainBundle } from "./fixtures.ts";

let service: ServedModels;
let running: RunningServer | undefined;

beforeAll(async () => {
  const stores = memoryServing();
  await stores.promote(await trainBundle());
  service = new ServedModels({ pipeline: PIPELINE, ...stores });
});

afterEach(async () => {
  await running?.close();
  running = undefined;
});

const FAST = { headersTimeoutMs: 300, requestTimeoutMs: 600, checkIntervalMs: 50, graceMs: 2000 };

async function start(svc: PredictService = service) {
  running = await startHttpServer({ service: svc, port: 0, timeouts: FAST });
  return running;
}

const ROWS = JSON.stringify({ rows: [{ x: 9, colour: "red" }] });

interface Answer {
  modelVersion?: string;
  predictions?: unknown[];
  error?: { name: string; message: string };
}

async function predict(url: string, body = ROWS, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/predict`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  return { status: res.status, json: (await res.json()) as Answer };
}

/** Raw TCP: what a hostile client sends, and everything the server answers until it closes. */
function raw(
  port: number,
  write: (socket: Socket) => Promise<void> | void,
): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, "127.0.0.1");
    let text = "";
    socket.on("data", (d) => {
      text += d.toString("latin1");
    });
    socket.on("close", () => resolve({ text, ms: performance.now() - started }));
    socket.on("error", (err) => {
      if (
        (err as NodeJS.ErrnoException).code === "ECONNRESET" ||
        (err as NodeJS.ErrnoException).code === "EPIPE"
      )
        return;
      reject(err);
    });
    socket.on("connect", async () => {
      try {
        await write(socket);
      } catch {
        // The server may close first: that is what the test wants to see.
      }
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function stillAnswers(url: string): Promise<void> {
  const r = await predict(url);
  expect(r.status).toBe(200);
}

describe("orchard serve over HTTP", () => {
  it("answers /predict and /health like the Lambda", async () => {
    const { url } = await start();
    const r = await predict(url);
    expect(r).toMatchObject({
      status: 200,
      json: { modelVersion: "v1", predictions: [{ prediction: "big" }] },
    });
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", champion: "v1" });
  });

  it("refuses a declared Content-Length over 1 MiB with 413 before reading the body", async () => {
    const { port, url } = await start();
    const { text, ms } = await raw(port, (s) => {
      s.write(
        `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${DEFAULT_LIMITS.maxBodyBytes + 1}\r\n\r\n{"rows":`,
      );
    });
    expect(text).toMatch(/^HTTP\/1\.1 413/);
    expect(text).toContain("BodyTooLargeError");
    expect(ms).toBeLessThan(500);
    await stillAnswers(url);
  });

  it("cuts off a chunked body that streams past 1 MiB with 413", async () => {
    const { url } = await start();
    const chunk = "x".repeat(64 * 1024);
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(new TextEncoder().encode(chunk));
        controller.close();
      },
    });
    const res = await fetch(`${url}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit).catch((err: Error) => err);
    // Either the 413 arrives, or the server closed mid-upload; never a 200 or a hang.
    if (!(res instanceof Error)) expect(res.status).toBe(413);
    await stillAnswers(url);
  });

  it("answers a JSON body of 5,000 rows with 400, quickly", async () => {
    const { url } = await start();
    const body = JSON.stringify({
      rows: Array.from({ length: 5000 }, () => ({ x: 1, colour: "red" })),
    });
    const started = performance.now();
    const r = await predict(url, body);
    expect(r.status).toBe(400);
    expect(r.json.error?.message).toContain("5000 rows");
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("answers deeply nested JSON with 400", async () => {
    const { url } = await start();
    const r = await predict(url, `{"rows":${"[".repeat(50_000)}`);
    expect(r.status).toBe(400);
  });

  it("answers a wrong content type with 415", async () => {
    const { url } = await start();
    expect((await predict(url, ROWS, { "content-type": "text/plain" })).status).toBe(415);
  });

  it("closes a client that trickles its headers byte by byte (408 after the header timeout)", async () => {
    const { port, url } = await start();
    const header = "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
    const { text, ms } = await raw(port, async (s) => {
      for (const byte of header) {
        if (s.destroyed) return;
        s.write(byte);
        await sleep(40);
      }
    });
    expect(text).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(FAST.headersTimeoutMs + 1000);
    await stillAnswers(url);
  });

  it("closes a client that trickles its body byte by byte (408 after the request timeout)", async () => {
    const { port, url } = await start();
    const { text, ms } = await raw(port, async (s) => {
      s.write(
        `POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${ROWS.length}\r\n\r\n`,
      );
      for (const byte of ROWS) {
        if (s.destroyed) return;
        s.write(byte);
        await sleep(100);
      }
    });
    expect(text).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(FAST.requestTimeoutMs + 1000);
    await stillAnswers(url);
  });

  it("keeps answering others while slow clients hold connections", async () => {
    const { port, url } = await start();
    const slow = Array.from({ length: 20 }, () =>
      raw(port, async (s) => {
        s.write("POST /predict HTTP/1.1\r\n");
        await sleep(2000);
      }),
    );
    const started = performance.now();
    for (let i = 0; i < 20; i++) await stillAnswers(url);
    expect(performance.now() - started).toBeLessThan(1000);
    await Promise.all(slow);
  });

  it("answers headers over 16 KiB with 431", async () => {
    const { port, url } = await start();
    const { text } = await raw(port, (s) => {
      s.write(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
    });
    expect(text).toMatch(/^HTTP\/1\.1 431/);
    await stillAnswers(url);
  });

  it("answers malformed HTTP with 400", async () => {
    const { port, url } = await start();
    const { text } = await raw(port, (s) => {
      s.write("HELLO\r\n\r\n");
    });
    expect(text).toMatch(/^HTTP\/1\.1 400/);
    await stillAnswers(url);
  });

  it("finishes a request in flight on shutdown, then refuses new connections", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slowService: PredictService = {
      pipeline: PIPELINE,
      describe: () => service.describe(),
      next: async () => {
        await gate;
        return service.next();
      },
    };
    const { url } = await start(slowService);
    const pending = predict(url);
    await sleep(50);
    const closing = running!.close();
    await sleep(50);
    release();
    expect((await pending).status).toBe(200);
    await closing;
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    running = undefined;
  });
});
