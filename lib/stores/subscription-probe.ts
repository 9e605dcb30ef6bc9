/**
 * Proves that a room's subscription is live from end to end: a probe published on the
 * room's channel must come back to this node. A subscription can be lost without any error
 * (node-redis keeps a cluster listener registered after a failed re-subscription, see
 * README "Redis Cluster"), so asking the client what it thinks it subscribed is not enough.
 *
 * A probe is a payload no bus message can be (it starts with U+0001, JSON never does), so
 * receivers tell it apart with one character comparison and other nodes drop it silently.
 */

const MARK = "\u0001";
/** Probes in flight at once: bounds memory and the burst on Redis for nodes with many rooms. */
const BATCH = 200;

export class SubscriptionProbe {
  readonly #prefix: string;
  readonly #waiting = new Map<string, () => void>();
  #seq = 0;
  #closed = false;

  constructor(nodeId: string, private readonly timeoutMs: number) {
    this.#prefix = `${MARK}${nodeId}${MARK}`;
  }

  isProbe(raw: string): boolean {
    return raw.charCodeAt(0) === 1;
  }

  /** A probe arrived: wakes its waiter when it is one of ours (others' are ignored). */
  heard(raw: string): void {
    if (raw.startsWith(this.#prefix)) this.#waiting.get(raw)?.();
  }

  /**
   * The rooms whose probe was published and did not come back within the timeout. A probe
   * that could not be published says nothing about the subscription (the route to the
   * room's master failed, as during a slot move): it counts as dead only with `unsentIsDead`.
   */
  async deadRooms(rooms: Iterable<string>, publish: (room: string, raw: string) => Promise<unknown>, unsentIsDead = false): Promise<string[]> {
    const all = [...rooms];
    const dead: string[] = [];
    for (let start = 0; start < all.length && !this.#closed; start += BATCH) {
      const results = await Promise.all(all.slice(start, start + BATCH).map((room) => this.#probe(room, publish)));
      results.forEach((result, i) => {
        if (result === "dead" || (result === "unsent" && unsentIsDead)) dead.push(all[start + i]);
      });
    }
    return dead;
  }

  close(): void {
    this.#closed = true;
    for (const wake of this.#waiting.values()) wake();
  }

  async #probe(room: string, publish: (room: string, raw: string) => Promise<unknown>): Promise<"live" | "dead" | "unsent"> {
    const raw = `${this.#prefix}${++this.#seq}`;
    let timer: NodeJS.Timeout | undefined;
    let heard = false;
    const back = new Promise<void>((resolve) => {
      this.#waiting.set(raw, () => {
        heard = !this.#closed;
        resolve();
      });
      timer = setTimeout(resolve, this.timeoutMs);
    });
    try {
      try {
        await publish(room, raw);
      } catch {
        return "unsent";
      }
      await back;
      return heard || this.#closed ? "live" : "dead";
    } finally {
      clearTimeout(timer);
      this.#waiting.delete(raw);
    }
  }
}
