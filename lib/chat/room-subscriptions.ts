/**
 * This node's subscriptions to room channels, driven by membership.ts: a room is
 * subscribed while it has a local member or a join in flight, and unsubscribed `lingerMs`
 * after the last one left (join/leave churn then costs no SUBSCRIBE per pair). `acquire`
 * resolves only once the subscription is confirmed, so a joiner answered after it misses
 * no message (README, "Running several nodes").
 *
 * `check()` is the periodic self-check: every subscribed room must really receive its
 * channel (bus.deadRooms); a dead one is subscribed again and counted in `repaired`.
 */
import type { MessageBus } from "../stores/message-bus.js";
import type { Logger } from "../logger.js";

interface RoomEntry {
  /** local members plus joins in flight that acquired the room */
  holders: number;
  /** the last SUBSCRIBE was confirmed and no UNSUBSCRIBE was sent since */
  subscribed: boolean;
  /** subscribe/unsubscribe of this room run one after another */
  chain: Promise<void>;
  linger: NodeJS.Timeout | undefined;
}

/** What else follows a room's subscription here (chat/gap-repair.ts: where a room's offsets stand). */
export interface SubscriptionHooks {
  /** the room's first subscription here is confirmed */
  followed?(room: string): void;
  /** the room is let go (the linger ended): the next subscription starts afresh */
  released?(room: string): void;
  /** the self-check subscribed these rooms again: what was said while they were deaf is missing */
  repaired?(rooms: string[]): void;
}

export class RoomSubscriptions {
  readonly #rooms = new Map<string, RoomEntry>();
  /** subscriptions found dead by the self-check and subscribed again */
  repaired = 0;
  /** self-check passes that found every subscription live */
  cleanChecks = 0;
  #closed = false;
  #checking = false;

  constructor(
    private readonly bus: Pick<MessageBus, "subscribeRoom" | "unsubscribeRoom" | "deadRooms">,
    private readonly lingerMs: number,
    private readonly logger: Logger,
    private readonly hooks: SubscriptionHooks = {},
  ) {}

  /** Holds the room's subscription; resolves once it is confirmed (rejects when it fails). */
  async acquire(room: string): Promise<void> {
    let entry = this.#rooms.get(room);
    if (!entry) this.#rooms.set(room, (entry = { holders: 0, subscribed: false, chain: Promise.resolve(), linger: undefined }));
    entry.holders++;
    clearTimeout(entry.linger);
    entry.linger = undefined;
    if (entry.subscribed) return;
    const held = entry;
    try {
      await this.#serially(held, async () => {
        if (held.subscribed) return;
        await this.bus.subscribeRoom(room);
        held.subscribed = true;
        this.hooks.followed?.(room);
      });
    } catch (error) {
      this.release(room);
      throw error;
    }
  }

  /** Lets go of one hold; the last one starts the linger before the UNSUBSCRIBE. */
  release(room: string): void {
    const entry = this.#rooms.get(room);
    if (!entry || --entry.holders > 0) return;
    if (!entry.subscribed) {
      this.#forgetIfIdle(room, entry);
      return;
    }
    if (this.#closed) return;
    entry.linger = setTimeout(() => {
      entry.linger = undefined;
      void this.#serially(entry, async () => {
        if (entry.holders > 0 || !entry.subscribed) return;
        entry.subscribed = false;
        this.hooks.released?.(room);
        await this.bus.unsubscribeRoom(room);
      }).catch((error: unknown) => this.logger.warn({ room, err: String(error) }, "actionhero-ws: could not unsubscribe from a room"))
        .finally(() => this.#forgetIfIdle(room, entry));
    }, this.lingerMs);
    entry.linger.unref();
  }

  /** Rooms whose subscription is held (members) or lingering. */
  get count(): number {
    let count = 0;
    for (const entry of this.#rooms.values()) if (entry.subscribed) count++;
    return count;
  }

  /**
   * One self-check pass; returns the rooms repaired. Never throws. A pass that starts while
   * another runs returns at once: a probe outlives the check interval, and an older pass's
   * verdict would re-subscribe a room that has been live since.
   */
  async check(): Promise<string[]> {
    if (this.#checking) return [];
    this.#checking = true;
    try {
      return await this.#check();
    } finally {
      this.#checking = false;
    }
  }

  async #check(): Promise<string[]> {
    const held = (): string[] => [...this.#rooms].filter(([, entry]) => entry.subscribed && entry.holders > 0).map(([room]) => room);
    let dead: string[];
    try {
      dead = await this.bus.deadRooms(held());
      // a room is repaired only when a second, fresh probe fails too: the repair drops the
      // subscription for a moment, so acting on a probe lost in a slot move or failover
      // (while the channel itself is live) would lose the messages of that moment
      if (dead.length > 0) {
        const still = new Set(held());
        dead = await this.bus.deadRooms(dead.filter((room) => still.has(room)));
      }
    } catch (error) {
      this.logger.debug({ err: String(error) }, "actionhero-ws: subscription self-check failed");
      return [];
    }
    const repaired: string[] = [];
    for (const room of dead) {
      const entry = this.#rooms.get(room);
      if (!entry || entry.holders === 0 || !entry.subscribed) continue;
      try {
        await this.#serially(entry, async () => {
          // unsubscribe first: a client that believes it is subscribed ignores a new SUBSCRIBE
          await this.bus.unsubscribeRoom(room).catch(() => undefined);
          await this.bus.subscribeRoom(room);
        });
        repaired.push(room);
        this.repaired++;
      } catch (error) {
        this.logger.warn({ room, err: String(error) }, "actionhero-ws: could not repair a room subscription");
      }
    }
    if (repaired.length > 0) {
      this.logger.warn({ rooms: repaired.length }, "actionhero-ws: repaired lost room subscriptions");
      this.hooks.repaired?.(repaired);
    }
    else if (dead.length === 0) this.cleanChecks++;
    return repaired;
  }

  close(): void {
    this.#closed = true;
    for (const entry of this.#rooms.values()) clearTimeout(entry.linger);
  }

  #serially(entry: RoomEntry, task: () => Promise<void>): Promise<void> {
    const run = entry.chain.then(task);
    entry.chain = run.catch(() => undefined);
    return run;
  }

  #forgetIfIdle(room: string, entry: RoomEntry): void {
    if (entry.holders === 0 && !entry.subscribed && entry.linger === undefined && this.#rooms.get(room) === entry) {
      this.#rooms.delete(room);
    }
  }
}
