// The clients of the scale-out bench (bench/scaleout.mjs): lite clients (loadgen/dialects.mjs)
// in the orchestrator's process, each on one node, members of one room. Says carry the
// bench's mark (`B<index>:<sent at>:`), so a delivery is counted per node and per say
// without parsing; a say is done when every member of its room has it. Every loop is
// bounded in count and in time.
import { LiteClient } from "../loadgen/dialects.mjs";
import { withTimeout, sleep } from "./timing.mjs";


/**
 * Opens the members: `placement` is a list of `{ node, room, count }`; the first member of
 * each placement is its room's sender. Joins 50 at a time, each answered before the next batch.
 */
export async function openMembers(dialect, urls, placement) {
  const members = [];
  const senders = new Map();
  for (const { node, room, count } of placement) {
    for (let k = 0; k < count; k++) {
      const client = new LiteClient(dialect, urls[node]);
      client.node = node;
      client.room = room;
      members.push(client);
      if (k === 0 && !senders.has(room)) senders.set(room, client);
    }
  }
  let nextId = 1;
  for (let start = 0; start < members.length; start += 50) {
    const group = members.slice(start, start + 50);
    await withTimeout(Promise.all(group.map((c) => c.ready)), 30_000, `connecting members ${start}..`);
    await withTimeout(Promise.all(group.map((client) => new Promise((resolve) => {
      const id = nextId++;
      client.onReply = (got) => {
        if (got === id) resolve();
      };
      client.send(client.d.join(client.room, id));
    }))), 30_000, `joining members ${start}..`);
  }
  for (const client of members) client.onReply = null;
  const membersOf = new Map();
  for (const client of members) membersOf.set(client.room, (membersOf.get(client.room) ?? 0) + 1);
  return { members, senders, membersOf, close: () => members.forEach((c) => c.close()) };
}

/**
 * Sends `says` says, say i to `roomOf(i)` by that room's sender, at most `window` in flight;
 * resolves once every member of each room has each say (or rejects after `timeoutMs`).
 * Returns the deliveries per node and the send-to-receive latencies (ms).
 */
export async function runSays(load, { says, roomOf, window, pad, nodes, timeoutMs, first = 0 }) {
  const deliveries = new Array(nodes).fill(0);
  const got = new Uint16Array(says);
  const latencies = new Float64Array(says * 4);
  let latencyCount = 0;
  let next = 0;
  let done = 0;
  let wake = null;
  for (const client of load.members) {
    client.onBroadcast = (index, sentAt) => {
      const i = index - first;
      if (i < 0 || i >= says) return;
      deliveries[client.node]++;
      if (latencyCount < latencies.length) latencies[latencyCount++] = performance.now() - sentAt;
      if (++got[i] === load.membersOf.get(roomOf(i))) {
        done++;
        send();
        if (done === says) wake?.();
      }
    };
  }
  const text = "x".repeat(pad);
  function send() {
    if (next >= says) return;
    const i = next++;
    const room = roomOf(i);
    load.senders.get(room).send(load.senders.get(room).d.say(room, `B${first + i}:${performance.now()}:${text}`));
  }
  const finished = new Promise((resolve) => (wake = resolve));
  const t0 = performance.now();
  for (let k = 0; k < Math.min(window, says); k++) send();
  try {
    await withTimeout(finished, timeoutMs, `${says} says (${done} done)`);
  } finally {
    for (const client of load.members) client.onBroadcast = null;
  }
  const sorted = latencies.subarray(0, latencyCount).sort();
  return { deliveries, durationMs: performance.now() - t0, p50: sorted[Math.floor(sorted.length / 2)], p99: sorted[Math.floor(sorted.length * 0.99)] };
}

/**
 * Counts the deliveries of says `first`..`first + says - 1` per node until `expected` arrived
 * (the `listen` phase: the says come from a publisher node, not from these clients).
 */
export function countDeliveries(load, { says, expected, nodes, timeoutMs, first }) {
  const deliveries = new Array(nodes).fill(0);
  let total = 0;
  let wake;
  const all = new Promise((resolve) => (wake = resolve));
  for (const client of load.members) {
    client.onBroadcast = (index) => {
      if (index < first || index >= first + says) return;
      deliveries[client.node]++;
      if (++total === expected) wake();
    };
  }
  const t0 = performance.now();
  return withTimeout(all, timeoutMs, `${expected} deliveries (${total} arrived)`)
    .then(() => ({ deliveries, durationMs: performance.now() - t0 }))
    .finally(() => load.members.forEach((client) => (client.onBroadcast = null)));
}

export { sleep };
