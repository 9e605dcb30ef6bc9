/**
 * A token bucket per connection: `burst` messages at once, refilled at `perSecond`.
 * Sustained abuse (the bucket stays empty for `strikesToClose` refusals) closes the socket.
 */
export class TokenBucket {
  #tokens: number;
  #last = performance.now();
  strikes = 0;

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
      this.strikes = 0;
      return 0;
    }
    this.strikes++;
    return Math.ceil(((1 - this.#tokens) / this.perSecond) * 1000);
  }
}
