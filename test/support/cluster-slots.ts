/**
 * Slot ownership on a test Redis Cluster (test/support/redis-cluster.ts): who owns a slot,
 * and moving a slot by hand the way `redis-cli --cluster reshard` does (IMPORTING,
 * MIGRATING, MIGRATE of its keys, SETSLOT NODE), with the order in which the source and the
 * target learn of the move chosen by the test.
 */
import type { RedisClusterUnderTest } from "./redis-cluster.js";

export interface ClusterNodeLine {
  id: string;
  port: number;
  master: boolean;
  failed: boolean;
  slots: Array<[number, number]>;
}

/** `CLUSTER NODES` as seen by the first live node that answers (or the one named). */
export async function clusterNodes(redis: RedisClusterUnderTest, askPort?: number): Promise<ClusterNodeLine[]> {
  const live = redis.servers.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
  for (const server of askPort === undefined ? live : live.filter((s) => s.port === askPort)) {
    try {
      return parseNodes(await redis.cli(server.port, "CLUSTER", "NODES"));
    } catch {
      // ask the next one
    }
  }
  throw new Error("no cluster node answered CLUSTER NODES");
}

function parseNodes(text: string): ClusterNodeLine[] {
  return text.split("\n").filter(Boolean).map((line) => {
    const [id, address, flags, , , , , , ...slots] = line.trim().split(" ");
    return {
      id,
      port: Number(/:(\d+)@/.exec(address)?.[1]),
      master: flags.includes("master"),
      failed: /\bfail\b/.test(flags),
      slots: slots.filter((s) => !s.startsWith("[")).map((s) => {
        const [from, to] = s.split("-").map(Number);
        return [from, to ?? from] as [number, number];
      }),
    };
  });
}

/** The slot of `key`, asked of a live node (the test may have killed the first). */
export async function slotOf(redis: RedisClusterUnderTest, key: string): Promise<number> {
  const live = redis.servers.find((s) => s.child.exitCode === null && s.child.signalCode === null);
  if (!live) throw new Error("no live cluster node");
  return Number(await redis.cli(live.port, "CLUSTER", "KEYSLOT", key));
}

/** The live master owning `slot`, as `askPort` (or the first live node) sees it. */
export async function ownerOf(redis: RedisClusterUnderTest, slot: number, askPort?: number): Promise<ClusterNodeLine> {
  const owner = (await clusterNodes(redis, askPort)).find((n) => n.master && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b));
  if (!owner) throw new Error(`no live master owns slot ${slot}`);
  return owner;
}

/**
 * Moves `slot` to `target`: IMPORTING on the target, MIGRATING on the source, MIGRATE of
 * the slot's keys, then SETSLOT NODE on the source and the target in `order` with `gapMs`
 * between them (the window in which the two disagree), then on every other master.
 */
export async function moveSlot(redis: RedisClusterUnderTest, slot: number, target: ClusterNodeLine, order: "source-first" | "target-first", gapMs: number): Promise<void> {
  const source = await ownerOf(redis, slot);
  if (source.id === target.id) throw new Error(`slot ${slot} already on ${target.port}`);
  await redis.cli(target.port, "CLUSTER", "SETSLOT", String(slot), "IMPORTING", source.id);
  await redis.cli(source.port, "CLUSTER", "SETSLOT", String(slot), "MIGRATING", target.id);
  for (let batch = 0; batch < 100; batch++) {
    const keys = (await redis.cli(source.port, "CLUSTER", "GETKEYSINSLOT", String(slot), "100")).split("\n").filter(Boolean);
    if (keys.length === 0) break;
    await redis.cli(source.port, "MIGRATE", "127.0.0.1", String(target.port), "", "0", "5000", "KEYS", ...keys);
  }
  const [first, second] = order === "source-first" ? [source, target] : [target, source];
  await redis.cli(first.port, "CLUSTER", "SETSLOT", String(slot), "NODE", target.id);
  await new Promise((resolve) => setTimeout(resolve, gapMs));
  await redis.cli(second.port, "CLUSTER", "SETSLOT", String(slot), "NODE", target.id);
  const others = (await clusterNodes(redis)).filter((n) => n.master && !n.failed && n.id !== source.id && n.id !== target.id);
  for (const other of others) await redis.cli(other.port, "CLUSTER", "SETSLOT", String(slot), "NODE", target.id);
}
