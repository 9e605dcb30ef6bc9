/**
 * What a request says about where it came from: its scheme and host (this server's origin
 * as the browser saw it) and the client's address. With `trustProxy` the `X-Forwarded-*`
 * headers of a TLS-terminating proxy in front are believed; without it they are ignored,
 * since any client can send them.
 */
import type { IncomingMessage } from "node:http";

/** The first value of a possibly repeated, comma-separated header (what the first proxy saw). */
function firstValue(header: string | string[] | undefined): string | undefined {
  const raw = Array.isArray(header) ? header[0] : header;
  const first = raw?.split(",")[0].trim();
  return first || undefined;
}

/** "https" or "http". */
export function requestScheme(req: IncomingMessage, trustProxy: boolean): "http" | "https" {
  if (trustProxy) {
    const forwarded = firstValue(req.headers["x-forwarded-proto"])?.toLowerCase();
    if (forwarded === "https" || forwarded === "http") return forwarded;
  }
  return (req.socket as { encrypted?: boolean }).encrypted ? "https" : "http";
}

/** This server's origin as the client addressed it, normalised by URL (default port dropped), or undefined. */
export function requestOrigin(req: IncomingMessage, trustProxy: boolean): URL | undefined {
  const host = (trustProxy ? firstValue(req.headers["x-forwarded-host"]) : undefined) ?? req.headers.host;
  if (!host) return undefined;
  try {
    const url = new URL(`${requestScheme(req, trustProxy)}://${host}`);
    // A Host header carrying a path or credentials is not a host.
    return url.pathname === "/" && !url.username && !url.password && url.host ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The client's address: the socket's peer, or with `trustProxy` the last `X-Forwarded-For`
 * entry (the one our proxy appended; earlier entries are whatever the client claimed).
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const header = req.headers["x-forwarded-for"];
    const list = (Array.isArray(header) ? header.join(",") : header ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    if (list.length) return list[list.length - 1];
  }
  return req.socket.remoteAddress ?? "";
}
