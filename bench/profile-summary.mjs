#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from BENCH_CPU_PROF=<dir> npm run bench): self time by
// function and by package, so the hot spots of one phase show without DevTools.
//   node bench/profile-summary.mjs <file.cpuprofile> [top=30]
import { readFileSync } from "node:fs";

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: node bench/profile-summary.mjs <file.cpuprofile> [top]");
  process.exit(1);
}
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) {
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fn = new Map();
const pkg = new Map();
for (const [id, us] of self) {
  const { callFrame: c } = byId.get(id);
  const where = c.url.replace(/^file:\/\//, "");
  const key = `${c.functionName || "(anonymous)"}  ${where.split("/").slice(-2).join("/")}:${c.lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  const p = m ? m[1] : where.includes("/dist/lib/") ? "actionhero-ws" : where ? (where.startsWith("node:") ? "node:internal" : where) : c.functionName || "(native)";
  pkg.set(p, (pkg.get(p) ?? 0) + us);
}
const show = (map, n) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n)
  .map(([k, us]) => `${((us / total) * 100).toFixed(1).padStart(5)} %  ${k}`).join("\n");
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled\n\nby package:\n${show(pkg, 15)}\n\nby function (self):\n${show(fn, top)}`);
