// HTTP plumbing for the engine server: JSON bodies in, JSON/SSE/Prometheus out.
import type { IncomingMessage, ServerResponse } from "node:http";
import { errorBody } from "./openai-format.js";
import { HttpError } from "./request.js";

const MAX_BODY_BYTES = 32 * 1024 * 1024;

export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `malformed JSON body: ${(e as Error).message}`);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data) });
  res.end(data);
}

export function sendText(res: ServerResponse, status: number, contentType: string, text: string): void {
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, e: HttpError): void {
  sendJson(res, e.status, errorBody(e.message, e.type, e.status));
}

/**
 * Server-sent events in the OpenAI style: `data: <json>` frames, ended by `data: [DONE]`.
 * Frames go out two event-loop turns after they are produced: by then the sequence has queued
 * its next token and llama.cpp is computing it, so the socket write overlaps that computation
 * instead of delaying it (the delay itself is microseconds on an idle loop).
 */
export class SseWriter {
  private pending = "";
  private flushScheduled = false;

  constructor(private readonly res: ServerResponse) {}

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.pending && !this.closed) this.res.write(this.pending);
    this.pending = "";
  };

  private enqueue(frame: string): void {
    this.pending += frame;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => setImmediate(this.flush));
  }

  open(): void {
    this.res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    // Headers go out now, so the client sees the request accepted even while it queues.
    this.res.flushHeaders();
  }

  get closed(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }

  send(obj: unknown): void {
    if (!this.closed) this.enqueue(`data: ${JSON.stringify(obj)}\n\n`);
  }

  done(): void {
    if (this.closed) return;
    this.res.end(`${this.pending}data: [DONE]\n\n`);
    this.pending = "";
  }
}
