/**
 * The browser fingerprint: a random id in a cookie the HTTP side sets, read back from the
 * handshake request's Cookie header (not client-asserted like Actionhero's query value).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export function newFingerprint(): string {
  return randomBytes(20).toString("hex");
}

/** cookie-signature's format (`s:<value>.<base64 HMAC-SHA256>`), which cookie-parser reads. */
export function signCookieValue(value: string, secret: string): string {
  const mac = createHmac("sha256", secret).update(value).digest("base64").replace(/=+$/, "");
  return `s:${value}.${mac}`;
}

export function unsignCookieValue(signed: string, secret: string): string | false {
  if (!signed.startsWith("s:")) return false;
  const body = signed.slice(2);
  const dot = body.lastIndexOf(".");
  if (dot < 0) return false;
  const value = body.slice(0, dot);
  const expected = Buffer.from(signCookieValue(value, secret));
  const given = Buffer.from(signed);
  return expected.length === given.length && timingSafeEqual(expected, given) ? value : false;
}

interface HandshakeRequest {
  cookies?: Record<string, string>;
  signedCookies?: Record<string, string | false>;
}

/**
 * The fingerprint of a handshake: the signed cookie when a secret is set, else the plain
 * cookie; with `acceptQuery` Actionhero's `?<cookieKey>=` wins (compatibility only).
 */
export function fingerprintOf(
  request: HandshakeRequest,
  query: Record<string, unknown>,
  cookieKey: string,
  secret: string | undefined,
  acceptQuery: boolean,
): string | undefined {
  const fromQuery = query[cookieKey];
  if (acceptQuery && typeof fromQuery === "string" && fromQuery) return fromQuery;
  const value = secret ? request.signedCookies?.[cookieKey] : request.cookies?.[cookieKey];
  return typeof value === "string" && value ? value : undefined;
}
