/**
 * Root hooks that test/run.js loads for every run. Mocha re-emits an unhandled rejection
 * from test code on `process` and, when nobody else listens, it vanishes: a test whose
 * server code rejects in the background would still pass. Here every unhandledRejection
 * fails the runnable (test or hook) that is running when it happens, through Mocha's own
 * uncaught-error handling; uncaughtExceptions already fail it and are only recorded.
 */
import { inspect } from "node:util";

export interface UnhandledRecord {
  kind: "unhandledRejection" | "uncaughtException";
  error: unknown;
  /** Title of the test that was the last to start when it happened. */
  during: string;
}

/** Everything seen during the run, in order (tests may read it, e.g. after fuzzing). */
export const unhandled: UnhandledRecord[] = [];

let current = "(before the first test)";
/** Mocha emits each rejection once more after its own listener: count it once. */
const seenPromises = new WeakSet<Promise<unknown>>();
/** Errors we handed to Mocha ourselves, so the exception listener does not count them again. */
const forwarded = new WeakSet<object>();

function describe(value: unknown): string {
  return value instanceof Error ? value.stack ?? String(value) : inspect(value, { depth: 4 });
}

function onRejection(reason: unknown, promise: Promise<unknown>): void {
  if (seenPromises.has(promise)) return;
  seenPromises.add(promise);
  unhandled.push({ kind: "unhandledRejection", error: reason, during: current });
  const error = new Error(`unhandled promise rejection (during "${current}"): ${describe(reason)}`);
  forwarded.add(error);
  // Mocha's uncaughtException listener fails whatever runnable is running now.
  (process.emit as (event: string, ...args: unknown[]) => boolean)("uncaughtException", error, "unhandledRejection");
}

function onException(error: unknown): void {
  if (typeof error === "object" && error !== null && forwarded.has(error)) return;
  unhandled.push({ kind: "uncaughtException", error, during: current });
}

export const mochaHooks = {
  beforeAll(): void {
    process.on("unhandledRejection", onRejection);
    process.on("uncaughtException", onException);
  },
  beforeEach(this: Mocha.Context): void {
    current = this.currentTest?.fullTitle() ?? "(unknown test)";
  },
  afterAll(): void {
    // After the run, Node's defaults apply again: a late rejection or exception ends the
    // process with a non-zero code instead of being swallowed by a listener.
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onException);
  },
};
