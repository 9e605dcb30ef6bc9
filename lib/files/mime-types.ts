/** The MIME types a public folder usually holds; anything else is application/octet-stream. */
const types: Record<string, string> = {
  ".html": "text/html", ".htm": "text/html", ".css": "text/css", ".js": "application/javascript",
  ".mjs": "application/javascript", ".json": "application/json", ".txt": "text/plain", ".md": "text/markdown",
  ".xml": "application/xml", ".svg": "image/svg+xml", ".csv": "text/csv",
  ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
  ".ico": "image/x-icon", ".pdf": "application/pdf", ".wasm": "application/wasm", ".woff": "font/woff",
  ".woff2": "font/woff2", ".mp3": "audio/mpeg", ".mp4": "video/mp4", ".zip": "application/zip",
};

export function mimeOf(extension: string): string {
  return types[extension.toLowerCase()] ?? "application/octet-stream";
}

export function isTextMime(mime: string): boolean {
  return mime.startsWith("text/") || ["application/javascript", "application/json", "application/xml", "image/svg+xml"].includes(mime);
}
