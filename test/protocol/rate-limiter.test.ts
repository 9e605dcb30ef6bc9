/**
 * The token bucket on its own: `burst` at once, refilled at `perSecond`, and idle time
 * credited once (a pause refills the bucket up to `burst`, never beyond).
 */
import { expect } from "chai";
import { TokenBucket } from "../../lib/protocol/rate-limiter.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Takes `n` tokens in a tight loop; how many passed, and how long the loop took. */
function burst(bucket: TokenBucket, n: number): { passed: number; ms: number } {
  const started = performance.now();
  let passed = 0;
  for (let i = 0; i < n; i++) if (bucket.take() === 0) passed++;
  return { passed, ms: performance.now() - started };
}

/** Most tokens a bucket may hand out in a loop of `ms`: a full bucket plus what refills meanwhile. */
const most = (burstSize: number, perSecond: number, ms: number) => burstSize + Math.ceil((ms / 1000) * perSecond) + 1;

describe("protocol: token bucket", function () {
  it("passes `burst` at once, then refuses with the wait until the next token", () => {
    const bucket = new TokenBucket(10, 20);
    const first = burst(bucket, 20);
    expect(first.passed).to.equal(20);
    const wait = bucket.take();
    expect(wait).to.be.above(0).and.at.most(100);
  });

  it("credits a pause once: after using half the bucket and idling, a burst of 140 passes at most `burst` (100)", async () => {
    const perSecond = 200;
    const bucket = new TokenBucket(perSecond, 100);
    expect(burst(bucket, 50).passed).to.equal(50);
    // Long enough to refill the bucket from 50 to 100 (and then some, were it uncapped).
    await sleep(600);
    const { passed, ms } = burst(bucket, 140);
    expect(passed).to.be.at.least(100);
    expect(passed, `admitted in a ${ms.toFixed(1)} ms burst`).to.be.at.most(most(100, perSecond, ms));
  });

  it("credits a pause once after a partly used bucket refilled in steps", async () => {
    const perSecond = 200;
    const bucket = new TokenBucket(perSecond, 100);
    for (let round = 0; round < 3; round++) {
      expect(burst(bucket, 30).passed).to.equal(30);
      await sleep(300);
    }
    const { passed, ms } = burst(bucket, 200);
    expect(passed, `admitted in a ${ms.toFixed(1)} ms burst`).to.be.at.most(most(100, perSecond, ms));
  });

  it("does not take one burst for a flood, however many of its frames are refused", () => {
    const bucket = new TokenBucket(50, 100);
    const { passed } = burst(bucket, 1000);
    expect(passed).to.be.at.least(100);
    expect(bucket.flooding).to.equal(false);
  });
});
