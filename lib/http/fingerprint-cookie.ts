/** Sets the fingerprint cookie on HTTP responses when the request has none. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { requestScheme } from "./request-origin.js";
import { newFingerprint, signCookieValue, unsignCookieValue } from "../connection/fingerprint.js";

export interface CookieSettings {
  cookieKey: string;
  secret: string | undefined;
  /** Believe X-Forwarded-Proto for the `Secure` flag. */
  trustProxy?: boolean;
}

/** The fingerprint the request carries (verified when signed), or undefined. */
export function requestFingerprint(req: IncomingMessage, settings: CookieSettings): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const raw = cookieValue(header, settings.cookieKey);
  if (raw === undefined) return undefined;
  if (!settings.secret) return raw;
  const value = unsignCookieValue(raw, settings.secret);
  return value === false ? undefined : value;
}

/** The (URI-decoded) value of cookie `name` in a Cookie header, signed or not. */
export function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Ensures the response sets a fingerprint cookie; returns the request's fingerprint. */
export function ensureFingerprintCookie(req: IncomingMessage, res: ServerResponse, settings: CookieSettings): string {
  const existing = requestFingerprint(req, settings);
  if (existing) return existing;
  const fingerprint = newFingerprint();
  const value = settings.secret ? signCookieValue(fingerprint, settings.secret) : fingerprint;
  const parts = [`${settings.cookieKey}=${encodeURIComponent(value)}`, "Path=/", "HttpOnly", "SameSite=Lax"];
  if (requestScheme(req, settings.trustProxy ?? false) === "https") parts.push("Secure");
  const previous = res.getHeader("Set-Cookie");
  const list = previous === undefined ? [] : Array.isArray(previous) ? previous : [String(previous)];
  res.setHeader("Set-Cookie", [...list, parts.join("; ")]);
  return fingerprint;
}

