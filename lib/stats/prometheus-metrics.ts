/**
 * Optional Prometheus metrics. prom-client is an optional peer dependency: it is imported
 * only when the `metrics` option is given. Every metric reads this node's counters when
 * the registry is scraped (`collect`), so the hot path never touches prom-client.
 */
import { redisHealth, type StatsSources } from "./stats.js";

/** The part of a prom-client `Registry` we use (any copy of prom-client fits). */
export interface MetricsRegistry {
  registerMetric(metric: never): void;
  removeSingleMetric(name: string): void;
}

export interface MetricsOptions {
  /** The prom-client registry to register into (e.g. prom-client's default `register`). */
  registry: MetricsRegistry;
  /** Prefix of every metric name (default in options.ts). */
  prefix?: string;
}

/** Registers the metrics (read from the same sources as stats()); resolves with a function that removes them again. */
export async function registerPrometheusMetrics(options: MetricsOptions & { prefix: string }, source: StatsSources): Promise<() => void> {
  let prom: typeof import("prom-client");
  try {
    prom = await import("prom-client");
  } catch (error) {
    throw new Error(`actionhero-ws: the "metrics" option needs prom-client (npm install prom-client): ${error instanceof Error ? error.message : String(error)}`);
  }
  const prefix = options.prefix;
  const registers = [options.registry as unknown as import("prom-client").Registry];
  const names: string[] = [];
  const c = source.counters;

  const counter = (name: string, help: string, read: () => number) => {
    names.push(prefix + name);
    new prom.Counter({ name: prefix + name, help, registers, collect() { this.reset(); this.inc(read()); } });
  };
  const labelled = <L extends string>(name: string, help: string, labelNames: L[], read: () => Iterable<[Record<L, string>, number]>) => {
    names.push(prefix + name);
    new prom.Counter({
      name: prefix + name, help, labelNames, registers,
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.inc(labels, value);
      },
    });
  };

  names.push(`${prefix}connections`);
  new prom.Gauge({
    name: `${prefix}connections`, help: "Open websocket connections on this node, by transport", labelNames: ["transport"], registers,
    collect() {
      this.reset();
      for (const [transport, count] of Object.entries(source.connections.countByTransport())) this.set({ transport }, count);
    },
  });
  names.push(`${prefix}actions_in_flight`);
  new prom.Gauge({ name: `${prefix}actions_in_flight`, help: "Actions running now", registers, collect() { this.set(source.actions.inFlight); } });
  labelled("frames_total", "Inbound frames by verb", ["verb"], () => [...c.frames].map(([verb, n]) => [{ verb }, n]));
  labelled("actions_total", "Actions run, by action and outcome", ["action", "status"], () =>
    [...c.actions].flatMap(([action, byStatus]) => [...byStatus].map(([status, n]): [Record<"action" | "status", string>, number] => [{ action, status }, n])));
  labelled("bad_frames_total", "Frames refused as malformed, by reason", ["reason"], () => [...c.badFrameReasons].map(([reason, n]) => [{ reason }, n]));
  counter("rate_limited_total", "Frames refused by the per-connection rate limit", () => c.rateLimited);
  counter("rate_limit_closes_total", "Connections closed for flooding", () => c.rateLimitCloses);
  counter("slow_consumer_closes_total", "Connections closed because their outbound buffer went over the limit", () => c.slowConsumerCloses);
  counter("oversized_frames_total", "Inbound frames or polling bodies over maxLength", () => c.oversizedFrames);
  counter("origin_refused_total", "Handshakes refused by the origin policy", () => c.originRefused);
  counter("handshakes_refused_total", "Polling handshakes refused by the pending-handshake limits", () => c.handshakesRefused);
  names.push(`${prefix}pending_handshakes`);
  new prom.Gauge({ name: `${prefix}pending_handshakes`, help: "Polling handshakes not yet upgraded and without a message", registers, collect() { this.set(c.pendingHandshakes); } });
  counter("pubsub_reconnects_total", "Message bus subscriber reconnects (gaps filled from the history, or clients told to resync)", () => c.pubsubReconnects);
  counter("bus_messages_received_total", "Messages received from the bus (per-room channels: only this node's rooms')", () => source.bus.received);
  counter("room_subscriptions_repaired_total", "Room subscriptions the self-check found dead and subscribed again", () => source.subscriptions.repaired);
  if (redisHealth(source) !== null) {
    names.push(`${prefix}redis_up`);
    new prom.Gauge({ name: `${prefix}redis_up`, help: "1 when Redis serves commands and pub/sub", registers, collect() { this.set(Number(redisHealth(source)?.up ?? false)); } });
  }

  return () => {
    for (const name of names) options.registry.removeSingleMetric(name);
  };
}
