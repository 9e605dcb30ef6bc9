/**
 * A full garbage collection for memory assertions. `node --expose-gc` gives `global.gc`;
 * without the flag it is exposed at run time the way jest's leak detector does it
 * (`v8.setFlagsFromString` + a fresh context), so `node test/run.js` needs no extra flag.
 */
import v8 from "node:v8";
import vm from "node:vm";

let collect: (() => void) | undefined;

export function gcFunction(): () => void {
  if (collect) return collect;
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === "function") return (collect = existing);
  v8.setFlagsFromString("--expose-gc");
  const exposed = vm.runInNewContext("gc") as unknown;
  if (typeof exposed !== "function") throw new Error("could not expose gc(): run node with --expose-gc");
  return (collect = exposed as () => void);
}

/** Collects until the heap stops shrinking (a few rounds, with the event loop turning between them). */
export async function settledHeapUsed(rounds = 4): Promise<number> {
  const gc = gcFunction();
  let used = Infinity;
  for (let i = 0; i < rounds; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const now = process.memoryUsage().heapUsed;
    if (now >= used * 0.99) return Math.min(now, used);
    used = now;
  }
  return used;
}
