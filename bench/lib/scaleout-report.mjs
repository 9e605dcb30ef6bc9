// The markdown of the scale-out bench (bench/scaleout.mjs): every run's rows, then, with
// several runs, the median of each target over the runs.
import { median } from "./report.mjs";

const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "—");
const n0 = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "—");
const each = (list, fmt) => list.map(fmt).join(" / ");
const sum = (list) => list.reduce((a, b) => a + b, 0);
const mean = (list) => sum(list) / list.length;

/**
 * One row per run: `columns` are [heading, cell(row)] after the target and run columns; a
 * failed run shows its error instead.
 */
function runTable(rows, columns) {
  const headings = ["target", "run", ...columns.map(([heading]) => heading)];
  const lines = [`| ${headings.join(" | ")} |`, `|${" --- |".repeat(headings.length)}`];
  for (const r of rows) {
    if (r.error) lines.push(`| ${r.name} | ${r.run} | failed: ${r.error.split("\n")[0].replace(/\|/g, "/")} |${" |".repeat(columns.length - 1)}`);
    else lines.push(`| ${r.name} | ${r.run} | ${columns.map(([, cellOf]) => cellOf(r)).join(" | ")} |`);
  }
  return lines;
}

const received = ["received from Redis, per node", (r) => each(r.received, n0)];
const deliveries = ["deliveries, per node", (r) => each(r.deliveries, n0)];
const nodeCpu = ["node CPU ms, per node", (r) => each(r.nodeCpuMs, (x) => f(x, 0))];
const nodeCpuMean = (nodes) => ["node CPU ms, mean", (r) => f(sum(r.nodeCpuMs) / nodes, 0)];
const redisCpu = ["Redis CPU µs/publish (net of idle)", (r) => `${f(r.redisCpuUsPerPublish, 2)} (${f(r.redisNetCpuUsPerPublish, 2)})`];
const publishes = ["publishes", (r) => `${n0(r.publishes)} ${r.publishKind}`];
const latency = ["p50 / p99 ms", (r) => `${f(r.p50)} / ${f(r.p99)}`];
const otherJobs = ["other jobs %", (r) => f(r.otherJobsPct, 0)];

function roomsTable(rows, nodes) {
  return runTable(rows, [received, deliveries, nodeCpu, nodeCpuMean(nodes), redisCpu, publishes, latency, otherJobs]);
}

function listenTable(rows, nodes) {
  return runTable(rows, [
    ["received from Redis, per listening node", received[1]], deliveries, nodeCpu, nodeCpuMean(nodes),
    ["publisher node: CPU ms (received)", (r) => `${f(r.publisherCpuMs, 0)} (${n0(r.publisherReceived)})`],
    redisCpu, publishes, otherJobs,
  ]);
}

function fanoutTable(rows) {
  return runTable(rows, [
    ["server CPU µs/delivery (4 nodes)", (r) => f(r.serverCpuUsPerDelivery, 2)], nodeCpu, received, redisCpu, publishes,
    ["deliveries/s", (r) => n0(r.deliveriesPerSecond)], latency, otherJobs,
  ]);
}

/** Median (min–max) of one figure of a target over its runs. */
function cell(rows, pick, digits) {
  const v = rows.map(pick).filter(Number.isFinite);
  if (v.length === 0) return "—";
  if (v.length === 1) return f(v[0], digits);
  return `${f(median(v), digits)} (${f(Math.min(...v), digits)}–${f(Math.max(...v), digits)})`;
}

function summary(results, phase) {
  const names = [...new Set(results.filter((r) => r.phase === phase).map((r) => r.name))];
  const lines = phase !== "fanout"
    ? ["| target | received from Redis per node, mean | node CPU ms per node, mean | Redis CPU µs/publish | net of idle | other jobs % |", "| --- | --- | --- | --- | --- | --- |"]
    : ["| target | server CPU µs/delivery | Redis CPU µs/publish | net of idle | deliveries/s | other jobs % |", "| --- | --- | --- | --- | --- | --- |"];
  for (const name of names) {
    const rows = results.filter((r) => r.phase === phase && r.name === name && !r.error);
    if (phase !== "fanout") lines.push(`| ${name} | ${cell(rows, (r) => mean(r.received), 0)} | ${cell(rows, (r) => mean(r.nodeCpuMs), 0)} | ${cell(rows, (r) => r.redisCpuUsPerPublish, 2)} | ${cell(rows, (r) => r.redisNetCpuUsPerPublish, 2)} | ${cell(rows, (r) => r.otherJobsPct, 0)} |`);
    else lines.push(`| ${name} | ${cell(rows, (r) => r.serverCpuUsPerDelivery, 2)} | ${cell(rows, (r) => r.redisCpuUsPerPublish, 2)} | ${cell(rows, (r) => r.redisNetCpuUsPerPublish, 2)} | ${cell(rows, (r) => r.deliveriesPerSecond, 0)} | ${cell(rows, (r) => r.otherJobsPct, 0)} |`);
  }
  return lines;
}

export function report(results, machine, { sizes, nodes, rooms }) {
  const idle = machine.redisIdleUsPerS;
  const runs = Math.max(...results.map((r) => r.run));
  const lines = [
    `Run ${machine.date} · ${machine.mode} · ${runs} run(s) · ${machine.nproc} cores, ${machine.cpu} · Node ${machine.node} · Redis ${machine.redis} · unpinned (4 nodes, Redis, clients share the cores)`,
    `Redis idle CPU: one Redis ${f(idle.standalone / 1000, 2)} ms/s, cluster (3 masters) ${f(idle.cluster / 1000, 2)} ms/s`,
    "",
  ];
  const roomRows = results.filter((r) => r.phase === "rooms");
  if (roomRows.length) {
    lines.push(`### ${nodes} nodes x ${rooms} rooms (room r on node r % ${nodes}, ${sizes.perRoom} members each; ${n0(sizes.says)} says spread over the rooms, each by a member on the room's node, ${sizes.pad} B pad, window ${sizes.window})`, "");
    lines.push(...roomsTable(roomRows, nodes), "");
    if (runs > 1) lines.push("Median (min–max) over the runs:", "", ...summary(results, "rooms"), "");
  }
  const listenRows = results.filter((r) => r.phase === "listen");
  if (listenRows.length) {
    lines.push(`### ${nodes} nodes, each with members in 1 of ${rooms} rooms (room r<n> on node n, ${sizes.perRoom} members; a fifth node without clients publishes ${n0(sizes.says)} says server-side over all ${rooms} rooms, window ${sizes.window})`, "");
    lines.push(...listenTable(listenRows, nodes), "");
    if (runs > 1) lines.push("Median (min–max) over the runs (listening nodes):", "", ...summary(results, "listen"), "");
  }
  const fanRows = results.filter((r) => r.phase === "fanout");
  if (fanRows.length) {
    lines.push(`### One room on all ${nodes} nodes (${sizes.fanPerNode} members per node, one sender on node 0, ${n0(sizes.fanMessages)} messages, window ${sizes.fanWindow})`, "");
    lines.push(...fanoutTable(fanRows), "");
    if (runs > 1) lines.push("Median (min–max) over the runs:", "", ...summary(results, "fanout"), "");
  }
  return lines.join("\n");
}
