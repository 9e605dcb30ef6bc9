/**
 * The `file` verb: reads a file below the public directory. Paths that leave it (`..`,
 * absolute paths, symlinks pointing out) are "not found". Text is sent as UTF-8, anything
 * else as base64 with `encoding: "base64"`, so binary files arrive intact.
 */
import { readFile, realpath, stat } from "node:fs/promises";
import { extname, isAbsolute, join, relative, sep } from "node:path";
import { mimeOf, isTextMime } from "./mime-types.js";

export const fileNotFound = "that file is not found";

export interface FileReply {
  content: string | null;
  mime: string;
  length: number;
  lastModified?: string;
  encoding?: "utf8" | "base64";
  error?: string;
}

const notFound = (): FileReply => ({ error: fileNotFound, content: null, mime: "text/html", length: Buffer.byteLength(fileNotFound) });

export async function readPublicFile(publicDir: string, requested: unknown, maxBytes: number): Promise<FileReply> {
  if (typeof requested !== "string" || requested === "" || requested.includes("\0")) return notFound();
  try {
    const root = await realpath(publicDir);
    const target = await realpath(join(root, requested));
    const rel = relative(root, target);
    if (rel === "" || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel)) return notFound();
    const info = await stat(target);
    if (!info.isFile()) return notFound();
    if (info.size > maxBytes) return { ...notFound(), error: `that file is too large (over ${maxBytes} bytes)` };
    const bytes = await readFile(target);
    const mime = mimeOf(extname(target));
    const text = isTextMime(mime);
    return {
      content: text ? bytes.toString("utf8") : bytes.toString("base64"),
      mime,
      length: bytes.length,
      lastModified: info.mtime.toISOString(),
      encoding: text ? "utf8" : "base64",
    };
  } catch {
    return notFound();
  }
}
