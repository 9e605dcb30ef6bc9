/**
 * `ws.stats()`: one snapshot of this node, assembled from the parts that own each number.
 * The parts are asked through the small views below, never reached into.
 */
import type { RuntimeCounters } from "./counters.js";

export interface Stats {
  nodeId: string;
  connections: number;
  /** Open connections by transport ("websocket", "polling"). */
  connectionsByTransport: Record<string, number>;
  /** Rooms with at least one member on this node. */
  localRooms: number;
  actionsInFlight: number;
  store: { kind: "memory" | "redis"; ready: boolean };
  /** Redis health (store commands and pub/sub bus); null with the embedded store. */
  redis: { up: boolean; store: boolean; bus: boolean } | null;
  /** Frames refused by the per-connection rate limit. */
  rateLimited: number;
  /** Connections closed for flooding. */
  rateLimitCloses: number;
  /** Frames refused as malformed. */
  badFrames: number;
  /** Inbound frames/bodies over `server.maxLength` (websocket closed 1009, polling 413). */
  oversizedFrames: number;
  /** Connections closed because their outbound buffer went over `limits.outboundBufferBytes`. */
  slowConsumerCloses: number;
  /** Handshakes refused by the origin policy. */
  originRefused: number;
  /** Polling handshakes refused by the pending-handshake limits (429 per address, 503 per node). */
  handshakesRefused: number;
  /** Polling handshakes pending now (not upgraded and no message yet). */
  pendingHandshakes: number;
  /** Messages this node received from the bus (with per-room channels: only its rooms'). */
  busMessagesReceived: number;
  /** Room channels this node is subscribed to (rooms with local members, and lingering ones). */
  roomSubscriptions: number;
  /** Room subscriptions the self-check found dead and subscribed again. */
  subscriptionsRepaired: number;
  /** Self-check passes that found every room subscription live. */
  subscriptionChecksClean: number;
  /** Message bus subscriber reconnects (gaps filled from the history, or a `resync` notice sent). */
  pubsubReconnects: number;
  pendingRpc: number;
  closing: boolean;
}

/** What stats() reads; each field is owned by one part of the runtime. */
export interface StatsSources {
  nodeId: string;
  counters: RuntimeCounters;
  connections: { readonly size: number; countByTransport(): Record<string, number> };
  membership: { readonly localRoomCount: number };
  actions: { readonly inFlight: number };
  store: { readonly kind: "memory" | "redis"; readonly ready: boolean; readonly shared: boolean };
  bus: { readonly ready: boolean; readonly received: number };
  subscriptions: { readonly count: number; readonly repaired: number; readonly cleanChecks: number };
  rpc: { readonly pendingCount: number };
  closing(): boolean;
}

/** Redis health, or null when the store is the embedded one (nothing shared to lose). */
export function redisHealth(sources: Pick<StatsSources, "store" | "bus">): Stats["redis"] {
  if (!sources.store.shared) return null;
  const store = sources.store.ready;
  const bus = sources.bus.ready;
  return { up: store && bus, store, bus };
}

export function collectStats(sources: StatsSources): Stats {
  return {
    nodeId: sources.nodeId,
    connections: sources.connections.size,
    connectionsByTransport: sources.connections.countByTransport(),
    localRooms: sources.membership.localRoomCount,
    actionsInFlight: sources.actions.inFlight,
    store: { kind: sources.store.kind, ready: sources.store.ready },
    redis: redisHealth(sources),
    ...sources.counters.snapshot(),
    busMessagesReceived: sources.bus.received,
    roomSubscriptions: sources.subscriptions.count,
    subscriptionsRepaired: sources.subscriptions.repaired,
    subscriptionChecksClean: sources.subscriptions.cleanChecks,
    pendingRpc: sources.rpc.pendingCount,
    closing: sources.closing(),
  };
}
