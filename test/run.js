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
const mocha = new Mocha({ timeout: config.timeout, slow: config.slow, reporter: "spec" });
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
  }, 15000);
  leak.unref();
  console.log(`\n${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ""}`);
});
