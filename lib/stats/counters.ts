/**
 * What this node counts for `ws.stats()` and the optional Prometheus metrics: plain numbers
 * and small maps, cheap to bump on the hot path, read only when someone asks. Label values
 * are bounded (known verbs, registered action names, fixed reasons) so a client cannot make
 * them grow.
 */

/** Verbs counted by name; anything else a client sends is counted as "other". */
const knownVerbs = new Set(["action", "file", "roomAdd", "roomLeave", "roomView", "say", "detailsView", "documentation", "quit", "exit"]);

/** Why a frame was refused before it ran (the `reason` label of `ahws_bad_frames_total`). */
export type BadFrameReason = "invalid_json" | "not_object" | "message_id" | "forbidden_key" | "too_deep" | "too_large" | "binary" | "other";

export class RuntimeCounters {
  /** Frames refused by the per-connection token bucket. */
  rateLimited = 0;
  /** Connections closed for flooding (refusals kept coming for seconds). */
  rateLimitCloses = 0;
  /** Frames refused as malformed (any reason, see `badFrameReasons`). */
  badFrames = 0;
  /** Handshakes refused by the origin policy. */
  originRefused = 0;
  /** Polling handshakes refused by limits.pendingHandshakesPerIp (429) or limits.pendingHandshakes (503). */
  handshakesRefused = 0;
  /** Polling handshakes pending now (not yet upgraded, no message yet: lib/http/handshake-limit.ts). */
  pendingHandshakes = 0;
  /** Connections closed because their outbound buffer went over `limits.outboundBufferBytes`. */
  slowConsumerCloses = 0;
  /** Inbound frames or polling bodies over `server.maxLength` (websocket closed 1009, polling 413). */
  oversizedFrames = 0;
  /** Times the message bus subscriber came back after a loss (gaps filled from the history, or a `resync` notice). */
  pubsubReconnects = 0;
  readonly frames = new Map<string, number>();
  readonly badFrameReasons = new Map<BadFrameReason, number>();
  /** action -> status -> count (nested, so the hot path builds no key string). */
  readonly actions = new Map<string, Map<string, number>>();

  /** One inbound frame that parsed as an object, by verb. */
  frame(verb: unknown): void {
    const name = typeof verb === "string" && knownVerbs.has(verb) ? verb : "other";
    this.frames.set(name, (this.frames.get(name) ?? 0) + 1);
  }

  badFrame(reason: BadFrameReason): void {
    this.badFrames++;
    this.badFrameReasons.set(reason, (this.badFrameReasons.get(reason) ?? 0) + 1);
  }

  /** `action` must already be bounded (a registered name or "unknown"). */
  action(action: string, status: string): void {
    let byStatus = this.actions.get(action);
    if (!byStatus) this.actions.set(action, (byStatus = new Map()));
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  }

  /** The scalar counts, for `stats()`. */
  snapshot() {
    return {
      rateLimited: this.rateLimited,
      rateLimitCloses: this.rateLimitCloses,
      badFrames: this.badFrames,
      originRefused: this.originRefused,
      handshakesRefused: this.handshakesRefused,
      pendingHandshakes: this.pendingHandshakes,
      slowConsumerCloses: this.slowConsumerCloses,
      oversizedFrames: this.oversizedFrames,
      pubsubReconnects: this.pubsubReconnects,
    };
  }
}
