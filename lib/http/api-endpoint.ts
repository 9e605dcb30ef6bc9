/**
 * Actions over plain HTTP at `apiPath` (`GET|POST /api/:action` or `?action=`), the
 * generated client's fallback while its socket is down. Reads JSON or form bodies itself
 * so the app needs no body parser in front.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import type { ActionRegistry } from "../actions/action-registry.js";
import type { HttpRequester, Params } from "../actions/action.js";
import type { HandshakeRequest } from "../connection/connection-middleware.js";
import { processAction, type ActionOutcomeKind, type ProcessorState } from "../actions/action-processor.js";
import { inspectClientValue, maxFrameDepth, nullPrototypeCopy } from "../protocol/frame-checks.js";
import { unencodableResponse } from "../protocol/replies.js";
import { clientAddress } from "./request-origin.js";

const statusFor: Record<ActionOutcomeKind, number> = { ok: 200, unknown: 404, invalid: 422, busy: 429, failed: 500, shutdown: 503 };

export interface ApiEndpointDeps {
  actions: ActionRegistry;
  processor: ProcessorState;
  maxBodyBytes: number;
  /** How long the body may take to arrive in full (`apiTimeoutMs`). */
  bodyTimeoutMs: number;
  serverName: string;
  /** Take the client's address from `X-Forwarded-For` (option `trustProxy`). */
  trustProxy: boolean;
}

class BodyError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/**
 * The raw body, within `limit` bytes and `timeoutMs` in total. Node would hold a slow body
 * for its server-wide requestTimeout (300 s); the app's other routes keep that.
 */
function collectBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: BodyError | undefined) => {
      clearTimeout(timer);
      req.off("data", onData).off("end", onEnd).off("error", onAbort).off("close", onAbort);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish(new BodyError(`request body larger than ${limit} bytes`, 413));
      else chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    const onAbort = () => finish(new BodyError("request body incomplete", 400));
    const timer = setTimeout(() => finish(new BodyError(`request body not received within ${timeoutMs} ms`, 408)), timeoutMs);
    req.on("data", onData).on("end", onEnd).on("error", onAbort).on("close", onAbort);
  });
}

async function readBody(req: IncomingMessage & { body?: unknown }, limit: number, timeoutMs: number): Promise<Params> {
  // An Express body parser in front already did the work.
  if (req.body !== undefined && typeof req.body === "object" && req.body !== null) return req.body as Params;
  if (req.method === "GET" || req.method === "HEAD") return {};
  const text = (await collectBody(req, limit, timeoutMs)).toString("utf8").trim();
  if (!text) return {};
  const type = String(req.headers["content-type"] ?? "");
  if (type.includes("application/x-www-form-urlencoded")) return Object.fromEntries(new URLSearchParams(text));
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    return parsed as Params;
  } catch {
    throw new BodyError("request body must be a JSON object", 400);
  }
}

/** A JSON answer; every reply of the endpoint, errors included, goes through here. False (nothing sent) when JSON cannot encode `body`. */
export function sendJson(res: ServerResponse, status: number, body: unknown): boolean {
  let json: string;
  try {
    json = JSON.stringify(body);
  } catch {
    return false;
  }
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(json), "Cache-Control": "no-store" });
  res.end(json);
  return true;
}

/** Handles one request below apiPath; `actionFromPath` is the `:action` segment if any. */
export async function handleApiRequest(
  deps: ApiEndpointDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  actionFromPath: string | undefined,
  fingerprint: string,
): Promise<void> {
  const started = Date.now();
  let body: Params;
  try {
    body = await readBody(req, deps.maxBodyBytes, deps.bodyTimeoutMs);
  } catch (error) {
    const status = error instanceof BodyError ? error.status : 400;
    // The rest of a refused body is not worth reading: close the connection after the answer.
    if (status === 408 || status === 413) res.setHeader("Connection", "close");
    sendJson(res, status, { error: error instanceof Error ? error.message : String(error) });
    return;
  }
  const merged = { ...Object.fromEntries(url.searchParams), ...body };
  // The query string too: `?__proto__=` must be refused like the same key in a body.
  const problem = inspectClientValue(merged, maxFrameDepth, "params");
  if (problem) {
    sendJson(res, 400, { error: problem.message });
    return;
  }
  const params = nullPrototypeCopy(merged);
  if (actionFromPath) params.action = actionFromPath;
  const requester: HttpRequester = {
    id: randomUUID(),
    type: "web",
    fingerprint,
    remoteIP: clientAddress(req, deps.trustProxy),
    remotePort: req.socket.remotePort ?? 0,
    rawConnection: { req: req as HandshakeRequest, res },
  };
  deps.processor.begin();
  try {
    const outcome = await processAction(deps.actions, requester, params, deps.processor);
    if (!outcome.toRender) {
      res.writeHead(204);
      res.end();
      return;
    }
    const serverInformation = { serverName: deps.serverName, apiVersion: params.apiVersion ?? null, requestDuration: Date.now() - started, currentTime: Date.now() };
    const requesterInformation = { id: requester.id, fingerprint, remoteIP: requester.remoteIP, receivedParams: { ...params } };
    if (!sendJson(res, statusFor[outcome.kind], { ...outcome.response, serverInformation, requesterInformation })) {
      sendJson(res, 500, { error: unencodableResponse, serverInformation, requesterInformation });
    }
  } finally {
    deps.processor.end();
  }
}
