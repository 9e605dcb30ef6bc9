// Aggregation (median and min–max over runs) and the markdown report.

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function spread(values) {
  const v = values.filter((x) => Number.isFinite(x));
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length };
}

/**
 * The README §5 targets: ours / reference within each paired phase (`paired`: both in one
 * phase, alternating slices) when it ran, else between the two single phases of each run;
 * then the median of those ratios over the runs.
 */
export const goals = [
  { name: "fan-out server CPU per delivery", ours: "fanout:ours", ref: "fanout:socketio", paired: "paired:fanout:ours~socketio", metric: "cpuUsPer", limit: 1.0 },
  { name: "fan-out server CPU per delivery, 50 independent senders", ours: "fanmany:ours", ref: "fanmany:socketio", paired: "paired:fanmany:ours~socketio", metric: "cpuUsPer", limit: 1.0 },
  { name: "action round trip server CPU", ours: "reqres:ours", ref: "reqres:socketio", paired: "paired:reqres:ours~socketio", metric: "cpuUsPer", limit: 1.15 },
  { name: "RSS per idle connection", ours: "connections:ours", ref: "connections:socketio", metric: "rssPerConnKiB", limit: 0.9 },
  { name: "RSS per idle connection, without V8's young generation", ours: "connections:ours", ref: "connections:socketio", metric: "keptRssPerConnKiB", limit: 0.9 },
  { name: "2-node fan-out server CPU per delivery", ours: "fanout:ours-2node", ref: "fanout:socketio-redis", paired: "paired:fanout:ours-2node~socketio-redis", metric: "cpuUsPer", limit: 1.0 },
  { name: "fan-out over long-polling", ours: "fanout:ours-polling", ref: "fanout:socketio-polling", metric: "cpuUsPer", limit: 1.2 },
];
/** Reported beside the targets, not targets themselves. */
const extras = [
  { name: "fan-out with a per-recipient `say` middleware (fallback)", ours: "fanout:ours-say", ref: "fanout:socketio", metric: "cpuUsPer" },
];

export function computeRatios(samples) {
  const out = [];
  for (const goal of [...goals, ...extras]) {
    const pairedRuns = (goal.paired ? samples[goal.paired] ?? [] : []).filter((m) => !m.error);
    const perRun = pairedRuns.map((m) => m.ratio);
    if (perRun.length === 0) {
      const a = samples[goal.ours] ?? [];
      const b = samples[goal.ref] ?? [];
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        if (a[i].error || b[i].error) continue;
        perRun.push(a[i][goal.metric] / b[i][goal.metric]);
      }
    }
    if (perRun.length === 0) continue;
    const s = spread(perRun);
    const how = pairedRuns.length ? "paired" : "separate phases";
    // A slice where the load generator ran above ~85 % of its core measured the load generator.
    const loadgenBound = pairedRuns.some((m) => m.sides.some((side) => (side.loadgenMaxSlicePct ?? 0) > 85))
      || (!pairedRuns.length && [...(samples[goal.ours] ?? []), ...(samples[goal.ref] ?? [])].some((m) => (m.loadgenMaxSlicePct ?? 0) > 85));
    out.push({ ...goal, how, ratio: s.median, min: s.min, max: s.max, loadgenBound, met: goal.limit === undefined ? undefined : s.median <= goal.limit });
  }
  return out;
}

const f = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : "—");
const n0 = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "—");

function cell(list, metric, fmt = f) {
  const s = spread(list.map((m) => m[metric]));
  if (s.n === 0) return "—";
  if (s.n === 1) return fmt(s.median);
  return `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
}

export function formatReport({ machine, targets, samples, ratios, elapsedS }) {
  const lines = [];
  const ok = (key) => (samples[key] ?? []).filter((m) => !m.error);
  const failures = (key) => (samples[key] ?? []).filter((m) => m.error).length;
  const ref = (workload, metric) => median(ok(`${workload}:socketio`).map((m) => m[metric]));
  lines.push(`Run ${machine.date} · ${machine.mode} · ${machine.runs} run(s), median (min–max) · ${machine.nproc} cores, ${machine.cpu} · Node ${machine.node} · pinned: ${machine.pinned ? "server core 0, load generator + redis core 1" : "no"} · ${f(elapsedS, 0)} s`);
  lines.push("");

  const fan = machine.sizes.fanout;
  const poll = machine.sizes.polling;
  lines.push(`### Fan-out (${fan.clients} clients in one room, one of them sends ${fan.messages} messages, window ${fan.window}, ${fan.pad} B pad; long-polling rows: ${poll.clients} clients, ${poll.messages} messages)`);
  lines.push("");
  lines.push("| target | deliveries/s | p50 ms | p99 ms | server CPU µs/delivery | × socket.io | server CPU % | load gen CPU % | other jobs % |");
  lines.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  const fanRef = ref("fanout", "cpuUsPer");
  for (const [name, t] of Object.entries(targets)) {
    const list = ok(`fanout:${name}`);
    if ((list.length === 0 && failures(`fanout:${name}`) === 0) || name.includes("-cluster")) continue;
    const reference = name.endsWith("polling") ? median(ok("fanout:socketio-polling").map((m) => m.cpuUsPer)) : fanRef;
    lines.push(`| ${t.label}${failures(`fanout:${name}`) ? ` (${failures(`fanout:${name}`)} failed)` : ""} | ${cell(list, "perSec", n0)} | ${cell(list, "p50")} | ${cell(list, "p99")} | ${cell(list, "cpuUsPer")} | ${f(median(list.map((m) => m.cpuUsPer)) / reference)} | ${cell(list, "serverCpuPct", (x) => f(x, 0))} | ${cell(list, "loadgenCpuPct", (x) => f(x, 0))} | ${cell(list, "outsidePct", (x) => f(x, 0))} |`);
  }
  lines.push("");

  const many = machine.sizes.fanmany;
  if (many) {
    lines.push(`### Fan-out, many senders (${many.clients} clients in one room, ${many.senders} of them send ${many.messages} messages in turn, each with one in flight)`);
    lines.push("");
    lines.push("| target | deliveries/s | p50 ms | p99 ms | server CPU µs/delivery | × socket.io | server CPU % | load gen CPU % | other jobs % |");
    lines.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    const manyRef = ref("fanmany", "cpuUsPer");
    for (const [name, t] of Object.entries(targets)) {
      const list = ok(`fanmany:${name}`);
      if (list.length === 0 && failures(`fanmany:${name}`) === 0) continue;
      lines.push(`| ${t.label} | ${cell(list, "perSec", n0)} | ${cell(list, "p50")} | ${cell(list, "p99")} | ${cell(list, "cpuUsPer")} | ${f(median(list.map((m) => m.cpuUsPer)) / manyRef)} | ${cell(list, "serverCpuPct", (x) => f(x, 0))} | ${cell(list, "loadgenCpuPct", (x) => f(x, 0))} | ${cell(list, "outsidePct", (x) => f(x, 0))} |`);
    }
    lines.push("");
  }

  const rr = machine.sizes.reqres;
  lines.push(`### Request/response (${rr.clients} clients, sequential action round trips for ${rr.durationMs / 1000} s)`);
  lines.push("");
  lines.push("| target | ops/s | p50 ms | p99 ms | server CPU µs/op | × socket.io | server CPU % | load gen CPU % | other jobs % |");
  lines.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  const rrRef = ref("reqres", "cpuUsPer");
  for (const [name, t] of Object.entries(targets)) {
    const list = ok(`reqres:${name}`);
    if ((list.length === 0 && failures(`reqres:${name}`) === 0) || name.includes("-cluster")) continue;
    lines.push(`| ${t.label} | ${cell(list, "perSec", n0)} | ${cell(list, "p50")} | ${cell(list, "p99")} | ${cell(list, "cpuUsPer")} | ${f(median(list.map((m) => m.cpuUsPer)) / rrRef)} | ${cell(list, "serverCpuPct", (x) => f(x, 0))} | ${cell(list, "loadgenCpuPct", (x) => f(x, 0))} | ${cell(list, "outsidePct", (x) => f(x, 0))} |`);
  }
  lines.push("");

  const cn = machine.sizes.connections;
  lines.push(`### Connections (${cn.clients} websocket connections opened ${cn.batch} at a time; RSS delta after 1 s and a full GC)`);
  lines.push("");
  lines.push("| target | connects/s | RSS KiB per idle connection | × socket.io | without V8's young generation | × socket.io | of it JS heap KiB | server CPU µs/connect |");
  lines.push("| --- | --- | --- | --- | --- | --- | --- | --- |");
  const cnRef = ref("connections", "rssPerConnKiB");
  const cnKeptRef = ref("connections", "keptRssPerConnKiB");
  for (const [name, t] of Object.entries(targets)) {
    const list = ok(`connections:${name}`);
    if (list.length === 0 && failures(`connections:${name}`) === 0) continue;
    lines.push(`| ${t.label} | ${cell(list, "connectsPerSec", n0)} | ${cell(list, "rssPerConnKiB", (x) => f(x, 1))} | ${f(median(list.map((m) => m.rssPerConnKiB)) / cnRef)} | ${cell(list, "keptRssPerConnKiB", (x) => f(x, 1))} | ${f(median(list.map((m) => m.keptRssPerConnKiB)) / cnKeptRef)} | ${cell(list, "heapPerConnKiB", (x) => f(x, 1))} | ${cell(list, "cpuPerConnectUs", n0)} |`);
  }
  lines.push("");

  // runCluster and socket.io's runner: every process summed, the primary's share apart
  const clusterKeys = Object.keys(samples).filter((key) => /^(fanout|reqres):.*-cluster/.test(key));
  if (clusterKeys.length) {
    lines.push("### Several cores (runners unpinned: workers on both cores, the load generator sharing core 1; CPU of the primary and every worker)");
    lines.push("");
    lines.push("| phase | deliveries or ops/s | p50 ms | p99 ms | CPU µs each (all processes) | of it the primary µs | primary µs per polling request | server CPU % | load gen CPU % | other jobs % |");
    lines.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const key of clusterKeys) {
      const list = ok(key);
      const [workload, name] = key.split(":");
      if (list.length === 0) {
        lines.push(`| ${workload}: ${targets[name].label} | failed: ${(samples[key].find((m) => m.error)?.error ?? "").split("\n")[0]} |  |  |  |  |  |  |  |  |`);
        continue;
      }
      lines.push(`| ${workload}: ${targets[name].label} | ${cell(list, "perSec", n0)} | ${cell(list, "p50")} | ${cell(list, "p99")} | ${cell(list, "cpuUsPer")} | ${cell(list, "primaryCpuUsPer")} | ${cell(list, "primaryCpuUsPerRequest", (x) => f(x, 1))} | ${cell(list, "serverCpuPct", (x) => f(x, 0))} | ${cell(list, "loadgenCpuPct", (x) => f(x, 0))} | ${cell(list, "outsidePct", (x) => f(x, 0))} |`);
    }
    lines.push("");
  }

  const pairedKeys = Object.keys(samples).filter((key) => key.startsWith("paired:"));
  if (pairedKeys.length) {
    lines.push(`### Paired phases (ours and the peer in one phase, both servers up, ${machine.sizes.paired.slices} alternating slices each; server CPU per delivery or op)`);
    lines.push("");
    lines.push("| phase | ours µs (user / sys) | peer µs (user / sys) | ratio per run | median | load gen max slice % | other jobs % |");
    lines.push("| --- | --- | --- | --- | --- | --- | --- |");
    for (const key of pairedKeys) {
      const list = ok(key);
      const [, workload, pair] = key.split(":");
      const [a, b] = pair.split("~");
      const side = (k) => `${cell(list.map((m) => m.sides[k]), "cpuUsPer")} (${f(median(list.map((m) => m.sides[k].userUsPer)))} / ${f(median(list.map((m) => m.sides[k].systemUsPer)))})`;
      const loadgen = cell(list.map((m) => ({ l: Math.max(m.sides[0].loadgenMaxSlicePct ?? 0, m.sides[1].loadgenMaxSlicePct ?? 0) })), "l", (x) => f(x, 0));
      lines.push(`| ${workload}: ${targets[a].label} / ${targets[b].label} | ${side(0)} | ${side(1)} | ${list.map((m) => f(m.ratio)).join(", ")} | ${f(median(list.map((m) => m.ratio)))}× | ${loadgen} | ${cell(list.map((m) => ({ o: Math.max(m.sides[0].outsidePct, m.sides[1].outsidePct) })), "o", (x) => f(x, 0))} |`);
    }
    lines.push("");
    const selfPairs = pairedKeys.filter((key) => /~(ours|socketio)-twin$/.test(key));
    if (selfPairs.length) {
      lines.push("Method check: each self-pair (the same server on both sides, which side goes first drawn per phase) must read 1.00× ± 3 %:");
      for (const key of selfPairs) {
        const r = median(ok(key).map((m) => m.ratio));
        lines.push(`- ${key}: ${f(r)}× — ${Math.abs(r - 1) <= 0.03 ? "ok" : "**off: ratios of this run are not trustworthy**"}`);
      }
      lines.push("");
    }
  }

  lines.push("### Targets (ratio of the two in each run; median (min–max) over runs)");
  lines.push("");
  lines.push("| target | ratio | measured | limit | met |");
  lines.push("| --- | --- | --- | --- | --- |");
  for (const r of ratios) {
    const range = r.min === r.max ? "" : ` (${f(r.min)}–${f(r.max)})`;
    const met = r.met === undefined ? "info" : r.met ? "yes" : "**no**";
    lines.push(`| ${r.name} | ${f(r.ratio)}×${range} | ${r.how} | ${r.limit === undefined ? "—" : `≤ ${f(r.limit, 2)}×`} | ${met}${r.loadgenBound ? " (load generator over 85 %: not a measurement of the server)" : ""} |`);
  }
  lines.push("");
  return lines.join("\n");
}
