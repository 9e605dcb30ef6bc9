/**
 * Builds the browser client: the Primus library for the configured transformer plus our
 * ActionheroWebsocketClient template with its defaults, as `.js` and terser's `.min.js`.
 * Written to `<publicDir>/<clientJsPath><clientJsName>(.min).js` and served from memory.
 */
import { createServer } from "node:http";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Primus from "primus";
import { Worker } from "node:worker_threads";
import type { ResolvedOptions } from "../options.js";

const templatePath = fileURLToPath(new URL("../../../lib/client/ActionheroWebsocketClient.js", import.meta.url));

export interface GeneratedClient {
  js: string;
  minJs: string;
}

/** The object literal that replaces `%%DEFAULTS%%`; `window.location.origin` stays an expression. */
export function clientDefaults(options: ResolvedOptions): string {
  const { client, clientUrl } = options;
  const defaults = { ...client, url: "%%URL%%" };
  // In Node there is no window: leave url unset there so the other defaults still apply.
  const url = clientUrl === "window.location.origin" ? "(typeof window !== \"undefined\" ? window.location.origin : undefined)" : JSON.stringify(clientUrl);
  return `return ${JSON.stringify(defaults).replace('"%%URL%%"', url)};`;
}

/** The Primus library built with the same options as the server (pathname, heartbeat, transformer). */
function primusLibrary(primusOptions: Primus.Options): string {
  const scratch = new Primus(createServer(), primusOptions);
  try {
    return scratch.library();
  } finally {
    scratch.destroy({ close: false });
  }
}

const cache = new Map<string, Promise<GeneratedClient>>();

/**
 * Generates once per distinct configuration in a process (minifying takes a second or two).
 * `primusOptions` are the server's (transport/primus-options.ts), so the client speaks its dialect.
 */
export function generateClient(options: ResolvedOptions, primusOptions: Primus.Options): Promise<GeneratedClient> {
  const key = JSON.stringify([options.server, options.client, options.clientUrl]);
  let generated = cache.get(key);
  if (!generated) {
    generated = buildClient(options, primusOptions);
    cache.set(key, generated);
    generated.catch(() => cache.delete(key));
  }
  return generated;
}

async function buildClient(options: ResolvedOptions, primusOptions: Primus.Options): Promise<GeneratedClient> {
  const template = await readFile(templatePath, "utf8");
  const client = template.replace("%%DEFAULTS%%", clientDefaults(options));
  const js = `${primusLibrary(primusOptions)}\r\n\r\n\r\n;;;\r\n(function (exports) {\r\n${client}\r\nexports.ActionheroWebsocketClient = ActionheroWebsocketClient;\r\n})(typeof exports === "undefined" ? window : exports);\r\n`;
  return { js, minJs: await minifyInWorker(js) };
}

/** terser in a worker thread, so a booting server answers requests meanwhile. */
function minifyInWorker(code: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./minify-worker.js", import.meta.url), { workerData: { code } });
    worker.once("message", (minified: string) => resolve(minified));
    worker.once("error", (error) => reject(new Error(`actionhero-ws: could not minify the client: ${error.message}`)));
    worker.once("exit", (exitCode) => {
      if (exitCode !== 0) reject(new Error(`actionhero-ws: the minifier exited with code ${exitCode}`));
    });
  });
}

/** Generates the client and writes it when `clientJsName` is set. */
export async function generateAndWriteClient(options: ResolvedOptions, primusOptions: Primus.Options): Promise<GeneratedClient> {
  const client = await generateClient(options, primusOptions);
  await writeClient(options, client);
  return client;
}

/** Writes both files atomically (several processes may boot at once). */
export async function writeClient(options: ResolvedOptions, generated: GeneratedClient): Promise<void> {
  if (!options.clientJsName) return;
  const base = join(options.publicDir, options.clientJsPath, options.clientJsName);
  await mkdir(dirname(base), { recursive: true });
  for (const [file, body] of [[`${base}.js`, generated.js], [`${base}.min.js`, generated.minJs]] as const) {
    const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temp, body);
    await rename(temp, file);
  }
}
