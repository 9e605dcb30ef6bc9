// Runs after tsc (npm run build). Completes dist/ for users of the published package:
// 1. Primus ships no types: our declarations of it (lib/transport/primus.d.ts, which tsc
//    does not copy) go next to the emitted ones, referenced from both index.d.ts, so a
//    TypeScript app checking library files (skipLibCheck off) resolves `primus`. As .d.cts:
//    its `export =` is CommonJS, which an ES-module declaration file may not contain.
// 2. A CommonJS entry, dist/cjs: `require("actionhero-ws")` loads the ESM build (Node
//    20.19+ requires ES modules without top-level await), and a copy of the declarations
//    in a `"type": "commonjs"` folder types it as CommonJS, as TypeScript's node16
//    resolution expects for `require`. The same for the subpath "actionhero-ws/cluster"
//    (dist/cjs/workers); package.json's `typesVersions` points resolvers that ignore
//    `exports` (TypeScript's node10) at its types.
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const lib = join(root, "dist/lib");
const cjs = join(root, "dist/cjs");

rmSync(join(lib, "transport/primus.d.ts"), { force: true }); // an earlier build's ESM copy
copyFileSync(join(root, "lib/transport/primus.d.ts"), join(lib, "transport/primus.d.cts"));
/** Prepends a reference to the one shared copy (two copies would declare `primus` twice). */
function referencePrimus(indexTypes, path) {
  const reference = `/// <reference path="${path}" />\n`;
  const types = readFileSync(indexTypes, "utf8");
  if (!types.startsWith(reference)) writeFileSync(indexTypes, reference + types);
}
referencePrimus(join(lib, "index.d.ts"), "./transport/primus.d.cts");
referencePrimus(join(lib, "workers/index.d.ts"), "../transport/primus.d.cts");

rmSync(cjs, { recursive: true, force: true });
mkdirSync(cjs, { recursive: true });
cpSync(lib, cjs, { recursive: true, filter: (path) => !/\.(js|map|d\.cts)$/.test(path) });
writeFileSync(join(cjs, "package.json"), '{\n  "type": "commonjs"\n}\n');
// One CommonJS entry per subpath export: "." and "./cluster" (lib/workers/).
for (const [entry, up] of [["index", "../"], ["workers/index", "../../"]]) {
  const types = join(cjs, `${entry}.d.ts`);
  writeFileSync(types, readFileSync(types, "utf8").replace(/^\/\/\/ <reference path=".*" \/>\n/, ""));
  referencePrimus(types, `${up}lib/transport/primus.d.cts`);
  writeFileSync(join(cjs, `${entry}.js`), `"use strict";\n// The ESM build, required (Node 20.19+): the same module instance as \`import\` gets.\nmodule.exports = require("${up}lib/${entry}.js");\n`);
}
