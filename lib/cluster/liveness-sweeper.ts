/**
 * Removes room members whose node stopped heart-beating (a crashed process) and runs the
 * `leave` middleware for each once, so leave announcements go out exactly once.
 */
import { Connection } from "../connection/connection.js";
import type { RoomStore } from "../stores/room-store.js";
import type { Logger } from "../logger.js";

export class LivenessSweeper {
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(
    private readonly store: RoomStore,
    /** Runs the `leave` middleware for a swept member (a stand-in Connection in that room). */
    private readonly onGhost: (room: string, ghost: Connection) => Promise<void>,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    // An unshared store has no other node whose members could be left behind.
    if (this.#timer || !this.store.shared) return;
    this.#timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One pass; returns how many ghosts were removed. */
  async sweep(): Promise<number> {
    if (this.#running || !this.store.ready) return 0;
    this.#running = true;
    try {
      const swept = await this.store.sweepDeadMembers();
      for (const { room, member } of swept) {
        await this.onGhost(room, Connection.detached(member.id, [room]));
      }
      if (swept.length) this.logger.info({ count: swept.length }, "actionhero-ws: removed members of dead nodes");
      return swept.length;
    } catch (error) {
      this.logger.debug({ err: String(error) }, "actionhero-ws: sweep failed");
      return 0;
    } finally {
      this.#running = false;
    }
  }
}
