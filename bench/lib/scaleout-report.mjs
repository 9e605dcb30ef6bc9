// The markdown of the scale-out bench (bench/scaleout.mjs): every run's rows, then, with
// several runs, the median of each target over the runs.
import { median } from "./report.mjs";

const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "—");
const n0 = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "—");
const each = (list, fmt) => list.map(fmt).join(" / ");
const sum = (list) => list.reduce((a, b) => a + b, 0);
const mean = (list) => sum(list) / list.length;

function failed(r, columns) {
  return `| ${r.name} | ${r.run} | failed: ${r.error.split("\n")[0].replace(/\|/g, "/")} |${" |".repeat(columns - 3)}`;
}

function roomsTable(rows, nodes) {
  const lines = [
    "| target | run | received from Redis, per node | deliveries, per node | node CPU ms, per node | node CPU ms, mean | Redis CPU µs/publish (net of idle) | publishes | p50 / p99 ms | other jobs % |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    if (r.error) lines.push(failed(r, 10));
    else lines.push(`| ${r.name} | ${r.run} | ${each(r.received, n0)} | ${each(r.deliveries, n0)} | ${each(r.nodeCpuMs, (x) => f(x, 0))} | ${f(sum(r.nodeCpuMs) / nodes, 0)} | ${f(r.redisCpuUsPerPublish, 2)} (${f(r.redisNetCpuUsPerPublish, 2)}) | ${n0(r.publishes)} ${r.publishKind} | ${f(r.p50)} / ${f(r.p99)} | ${f(r.otherJobsPct, 0)} |`);
  }
  return lines;
}

function listenTable(rows, nodes) {
  const lines = [
    "| target | run | received from Redis, per listening node | deliveries, per node | node CPU ms, per node | node CPU ms, mean | publisher node: CPU ms (received) | Redis CPU µs/publish (net of idle) | publishes | other jobs % |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    if (r.error) lines.push(failed(r, 10));
    else lines.push(`| ${r.name} | ${r.run} | ${each(r.received, n0)} | ${each(r.deliveries, n0)} | ${each(r.nodeCpuMs, (x) => f(x, 0))} | ${f(sum(r.nodeCpuMs) / nodes, 0)} | ${f(r.publisherCpuMs, 0)} (${n0(r.publisherReceived)}) | ${f(r.redisCpuUsPerPublish, 2)} (${f(r.redisNetCpuUsPerPublish, 2)}) | ${n0(r.publishes)} ${r.publishKind} | ${f(r.otherJobsPct, 0)} |`);
  }
  return lines;
}

function fanoutTable(rows) {
  const lines = [
    "| target | run | server CPU µs/delivery (4 nodes) | node CPU ms, per node | received from Redis, per node | Redis CPU µs/publish (net of idle) | publishes | deliveries/s | p50 / p99 ms | other jobs % |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    if (r.error) lines.push(failed(r, 10));
    else lines.push(`| ${r.name} | ${r.run} | ${f(r.serverCpuUsPerDelivery, 2)} | ${each(r.nodeCpuMs, (x) => f(x, 0))} | ${each(r.received, n0)} | ${f(r.redisCpuUsPerPublish, 2)} (${f(r.redisNetCpuUsPerPublish, 2)}) | ${n0(r.publishes)} ${r.publishKind} | ${n0(r.deliveriesPerSecond)} | ${f(r.p50)} / ${f(r.p99)} | ${f(r.otherJobsPct, 0)} |`);
  }
  return lines;
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
