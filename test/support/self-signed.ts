/**
 * A throw-away self-signed certificate for 127.0.0.1: made with the `openssl` CLI when it is
 * on PATH, otherwise built by hand with node:crypto (EC P-256, DER written here).
 */
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, sign, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface KeyAndCert {
  key: string;
  cert: string;
  /** Which way it was made. */
  via: "openssl" | "node:crypto";
}

/** openssl when available, else node:crypto. */
export function selfSignedCertificate(): KeyAndCert {
  return opensslCertificate() ?? cryptoCertificate();
}

/** undefined only when the openssl binary is missing; any other failure throws. */
export function opensslCertificate(): KeyAndCert | undefined {
  const dir = mkdtempSync(join(tmpdir(), "actionhero-ws-cert-"));
  try {
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1",
      "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    ], { stdio: "pipe", timeout: 10_000 });
    return { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8"), via: "openssl" };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- a minimal DER writer, enough for one X.509 v3 certificate ---
function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}
const seq = (...parts: Buffer[]) => der(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => der(0x31, Buffer.concat(parts));
const explicit = (n: number, inner: Buffer) => der(0xa0 + n, inner);
const integer = (bytes: number[]) => der(0x02, Buffer.from(bytes[0] & 0x80 ? [0, ...bytes] : bytes));
const utf8 = (text: string) => der(0x0c, Buffer.from(text, "utf8"));
const utcTime = (date: Date) => der(0x17, Buffer.from(date.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z", "ascii"));
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const bytes = [40 * a + b];
  for (const value of rest) {
    const chunk = [value & 0x7f];
    for (let v = value >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

/** Always works (no external tool): an EC P-256 key and a certificate signed by itself. */
export function cryptoCertificate(): KeyAndCert {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const ecdsaWithSha256 = seq(oid("1.2.840.10045.4.3.2"));
  const name = seq(set(seq(oid("2.5.4.3"), utf8("127.0.0.1"))));
  const now = Date.now();
  const subjectAltName = seq(oid("2.5.29.17"), der(0x04, seq(der(0x87, Buffer.from([127, 0, 0, 1])))));
  const tbs = seq(
    explicit(0, integer([2])),
    integer([...Buffer.from(String(now).slice(-8), "ascii")]),
    ecdsaWithSha256,
    name,
    seq(utcTime(new Date(now - 60_000)), utcTime(new Date(now + 86_400_000))),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    explicit(3, seq(subjectAltName)),
  );
  const signature = sign("sha256", tbs, privateKey);
  const certificate = seq(tbs, ecdsaWithSha256, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const cert = `-----BEGIN CERTIFICATE-----\n${certificate.toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`;
  const key = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  // fail here, not in the TLS handshake, if the hand-written DER is off
  if (!new X509Certificate(cert).verify(publicKey)) throw new Error("self-signed certificate does not verify");
  return { key, cert, via: "node:crypto" };
}
