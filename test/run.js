// Runs the mocha suite and ends with the one line CI reads: "N passed, N failed".
// Files come from .mocharc.json's spec folder, or from the command line
// (`node test/run.js dist/test/chat`). A process that does not exit by itself after
// the run (a leaked socket or timer) fails the run instead of hanging it.
import Mocha from "mocha";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

const config = JSON.parse(readFileSync(new URL("../.mocharc.json", import.meta.url), "utf8"));

function collect(path, out) {
  const full = resolve(path);
  if (statSync(full).isDirectory()) {
    for (const entry of readdirSync(full).sort()) collect(join(full, entry), out);
  } else if (full.endsWith(".test.js")) out.push(full);
  return out;
}

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ["dist/test"];
const files = roots.flatMap((root) => collect(root, []));
// Root hooks for every run: an unhandled rejection or exception fails the test it happened in.
const { mochaHooks } = await import(new URL("../dist/test/support/fail-on-unhandled.js", import.meta.url).href);
const mocha = new Mocha({ timeout: config.timeout, slow: config.slow, reporter: "spec", rootHooks: mochaHooks });
for (const file of files) mocha.addFile(file);
await mocha.loadFilesAsync();

mocha.run((failures) => {
  process.exitCode = failures ? 1 : 0;
}).on("end", function () {
  const { passes, failures, pending } = this.stats;
  const leak = setTimeout(() => {
    const kinds = process.getActiveResourcesInfo().join(", ");
    console.error(`\nthe test process did not exit after the run; still open: ${kinds}`);
    console.log(`${passes} passed, ${failures + 1} failed${pending ? `, ${pending} skipped` : ""}`);
    process.exit(1);
    // Libraries keep bounded timers after their sockets close (engine.io waits up to 30 s
    // for a polling client's last poll): only what outlives them is a leak.
  }, 40_000);
  leak.unref();
  console.log(`\n${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ""}`);
  // Mocha keeps swallowing unhandled rejections after the run: one now still fails it.
  const late = new WeakSet();
  process.on("unhandledRejection", (reason, promise) => {
    if (late.has(promise)) return;
    late.add(promise);
    console.error("\nunhandled rejection after the run:", reason);
    console.log(`${passes} passed, ${failures + 1} failed${pending ? `, ${pending} skipped` : ""}`);
    process.exit(1);
  });
});
