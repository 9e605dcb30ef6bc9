/**
 * A token bucket per connection: `burst` messages at once, refilled at `perSecond`, and
 * the record of its refusals that tells a burst from sustained abuse.
 */

/** A refusal this long after the previous one starts a new run of refusals. */
export const floodQuietMs = 1000;
/** How long a run of refusals must last before the connection counts as flooding. */
export const floodSustainedMs = 3000;
/** ...and how many refusals it must hold (a slow trickle over budget is not a flood). */
export const floodMinRefusals = 50;

export class TokenBucket {
  #tokens: number;
  #last = performance.now();
  /** When the current run of refusals began, and its latest refusal. */
  #refusingSince = 0;
  #lastRefusal = Number.NEGATIVE_INFINITY;
  #refusals = 0;

  constructor(private readonly perSecond: number, private readonly burst: number) {
    this.#tokens = burst;
  }

  /** 0 when the message may pass, else milliseconds until the next token. */
  take(): number {
    // The refill since the last frame, capped at `burst`, is added on every frame: a refill
    // added only when the bucket looks empty would credit idle time a second time (the
    // tokens left from before the pause plus a full bucket). One clock read per frame.
    const now = performance.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.perSecond);
    this.#last = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    if (now - this.#lastRefusal > floodQuietMs) {
      this.#refusingSince = now;
      this.#refusals = 0;
    }
    this.#lastRefusal = now;
    this.#refusals++;
    return Math.ceil(((1 - this.#tokens) / this.perSecond) * 1000);
  }

  /**
   * Sustained abuse: refusals have kept coming (none more than `floodQuietMs` apart) for
   * `floodSustainedMs`. One burst, such as a client flushing its offline queue after a
   * reconnect, is refused in part but never counts: its refusals all fall within moments.
   */
  get flooding(): boolean {
    return this.#refusals >= floodMinRefusals && this.#lastRefusal - this.#refusingSince >= floodSustainedMs;
  }
}
