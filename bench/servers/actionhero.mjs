// Peer: Actionhero 29 from npm (its Primus websocket server on the `ws` transformer), booted
// from bench/actionhero-app/ against the bench's redis-server (REDIS_URL).
import { createRequire } from "node:module";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serveControl } from "./control.mjs";

const appDir = fileURLToPath(new URL("../actionhero-app", import.meta.url));
process.env.PROJECT_ROOT = appDir;
process.env.ACTIONHERO_CONFIG = path.join(appDir, "config");
process.env.BENCH_TMP = mkdtempSync(path.join(os.tmpdir(), "ahws-bench-actionhero-"));
process.chdir(appDir);

// Actionhero builds its config when first required, so the env above must come first.
const require = createRequire(import.meta.url);
const { Process } = require("actionhero");
const app = new Process();
await app.start();
serveControl(Number(process.env.PORT));
