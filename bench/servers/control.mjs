// The control channel every bench server speaks with the orchestrator over IPC:
// `ready` (with the port) once listening, `gc` -> a full GC (for RSS readings),
// `flushes` -> engine.io's flush count and packets flushed so far (servers on engine.io),
// SIGTERM -> exit.

import { getHeapSpaceStatistics } from "node:v8";

const flushed = { flushes: 0, packets: 0 };

/** Counts an engine.io server's flushes (its `flush` event: socket, packets) for `flushes`. */
export function countFlushes(engine) {
  engine?.on?.("flush", (_socket, packets) => {
    flushed.flushes++;
    flushed.packets += packets.length;
  });
}

export function serveControl(port, extra = {}) {
  // Started by hand (no IPC channel, e.g. under valgrind): nothing to report to.
  if (typeof process.send !== "function") return;
  process.on("message", (message) => {
    if (message?.type === "gc") {
      if (typeof globalThis.gc === "function") {
        globalThis.gc();
        globalThis.gc();
      }
      // V8's young generation (new space), which grows and shrinks with allocation: the
      // bench subtracts it to show what idle connections keep (bench/README.md "Method").
      const young = getHeapSpaceStatistics().find((space) => space.space_name === "new_space")?.space_size ?? 0;
      process.send({ type: "gc-done", memory: { ...process.memoryUsage(), young } });
    }
    if (message?.type === "flushes") process.send({ type: "flushes-done", ...flushed });
  });
  process.on("SIGTERM", () => process.exit(0));
  process.on("disconnect", () => process.exit(0));
  process.send({ type: "ready", port, ...extra });
}

/** The chat frame every target broadcasts (Actionhero's shape). */
export function chatPayload(message, room, from) {
  return { message, room, from, context: "user", sentAt: Date.now() };
}
