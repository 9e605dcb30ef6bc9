/**
 * Small helpers for the chat and cluster suites: bounded waits, counting user frames,
 * process guards, and a Primus socket class for servers in other processes.
 */
import http from "node:http";
import { actionheroWs, type ActionheroWs } from "../../lib/index.js";
import { expect } from "chai";
import { RawClient, type Frame } from "./primus-client.js";

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 20 ms; rejects naming `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(20);
  }
}

/** The connection id of a client (its `detailsView`). */
export async function idOf(client: RawClient): Promise<string> {
  const reply = await client.request({ event: "detailsView" });
  const id = (reply.data as { id?: unknown } | undefined)?.id;
  if (typeof id !== "string") throw new Error(`detailsView gave no id: ${JSON.stringify(reply)}`);
  return id;
}

/**
 * A chat payload's history fields (README, "History and recovery"; on by default): its
 * `offset` in the room (an integer from 1) and the room's `epoch` (`<stamp>-<8 hex>`).
 */
export function historyFields(frame: { offset?: unknown; epoch?: unknown }): { offset: number; epoch: string } {
  const { offset, epoch } = frame;
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 1) throw new Error(`a chat payload without a valid offset: ${JSON.stringify(frame)}`);
  if (typeof epoch !== "string" || !/^[0-9a-f]+-[0-9a-f]{8}$/.test(epoch)) throw new Error(`a chat payload without a valid epoch: ${JSON.stringify(frame)}`);
  return { offset, epoch };
}

/** Chat frames (`context: "user"`) received since index `from`, optionally of one message. */
export function userFrames(client: RawClient, from = 0, message?: unknown): Frame[] {
  return client.after(from, (f) => f.context === "user" && (message === undefined || f.message === message));
}

/** Fails the current test on any unhandled rejection or uncaught exception. */
export function guardProcess(): { failures: unknown[]; remove(): void } {
  const failures: unknown[] = [];
  const record = (error: unknown): void => {
    failures.push(error);
  };
  process.on("unhandledRejection", record);
  process.on("uncaughtException", record);
  return {
    failures,
    remove() {
      process.off("unhandledRejection", record);
      process.off("uncaughtException", record);
    },
  };
}

/**
 * An actionheroWs (embedded store, never listening) whose Primus `Socket` class connects
 * raw clients to servers running in other processes: pass it to `RawClient.open(factory.ws, url)`.
 */
export async function remoteClientFactory(): Promise<{ ws: ActionheroWs; close(): Promise<void> }> {
  const server = http.createServer();
  const ws = actionheroWs({ clientJsName: null });
  ws.attach(server);
  await ws.ready();
  return { ws, close: () => ws.close({ timeoutMs: 500 }) };
}

/** The error a promise rejects with; fails when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection, but it resolved");
}

/** Awaits a promise that must reject; returns the error and how long it took. */
export async function timedRejection(promise: Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const started = Date.now();
  const error = await rejection(promise);
  return { error, ms: Date.now() - started };
}

/** A raw client on `node` that joined `room` (asserted), kept in `clients` for the file's `after`. */
export async function joinedMember(ws: ActionheroWs, clients: RawClient[], node: { url: string; id: string }, room: string): Promise<{ client: RawClient; id: string }> {
  const client = await RawClient.open(ws, node.url);
  clients.push(client);
  expect((await client.request({ event: "roomAdd", room })).data, `${node.id} roomAdd ${room}`).to.equal(true);
  return { client, id: await idOf(client) };
}
