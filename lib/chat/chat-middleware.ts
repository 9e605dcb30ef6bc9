/**
 * Chat middleware, Actionhero semantics: sorted by priority (lower first); `join`/`leave`
 * throw to refuse; `say`/`onSayReceive` must return the payload, and null/undefined
 * silences the message.
 */
import type { Connection } from "../connection/connection.js";

/** The delivered chat frame: `{message, room, from, context: "user", sentAt}`. */
export interface ChatPayload {
  message: unknown;
  room: string;
  from: string;
  context: string;
  sentAt: number;
  [extra: string]: unknown;
}

/** A connection on this node, or `{}` for messages from the server. */
export type ChatSender = Connection | Partial<Pick<Connection, "id" | "rooms">>;

type Maybe<T> = T | null | undefined | void;

export interface ChatMiddleware {
  name: string;
  priority?: number;
  join?: (connection: Connection, room: string) => unknown;
  leave?: (connection: Connection, room: string) => unknown;
  /** Once per recipient; return the payload (possibly changed) or null to skip that recipient. */
  say?: (connection: Connection, room: string, payload: ChatPayload) => Maybe<ChatPayload> | Promise<Maybe<ChatPayload>>;
  /** Once per message on the sender's node; return null to drop the message for everyone. */
  onSayReceive?: (connection: ChatSender, room: string, payload: ChatPayload) => Maybe<ChatPayload> | Promise<Maybe<ChatPayload>>;
}

export class ChatMiddlewareChain {
  #list: ChatMiddleware[] = [];

  constructor(private readonly defaultPriority: number) {}

  /** Adds or replaces (by name) a middleware. */
  add(middleware: ChatMiddleware): void {
    if (!middleware || typeof middleware.name !== "string" || !middleware.name) {
      throw new Error("middleware.name is required");
    }
    const entry = { ...middleware, priority: middleware.priority || this.defaultPriority };
    this.#list = this.#list.filter((m) => m.name !== entry.name).concat(entry);
    this.#list.sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0));
  }

  remove(name: string): boolean {
    const before = this.#list.length;
    this.#list = this.#list.filter((m) => m.name !== name);
    return this.#list.length !== before;
  }

  /** True when any `say` hook exists, so delivery must go recipient by recipient. */
  get hasSay(): boolean {
    return this.#list.some((m) => m.say);
  }

  async runJoin(connection: Connection, room: string): Promise<void> {
    for (const m of this.#list) if (m.join) await m.join(connection, room);
  }

  async runLeave(connection: Connection, room: string): Promise<void> {
    for (const m of this.#list) if (m.leave) await m.leave(connection, room);
  }

  async runSay(connection: Connection, room: string, payload: ChatPayload): Promise<ChatPayload | null> {
    let current: ChatPayload | null = { ...payload };
    for (const m of this.#list) {
      if (!m.say) continue;
      current = (await m.say(connection, room, current)) ?? null;
      if (!current) return null;
    }
    return current;
  }

  async runOnSayReceive(sender: ChatSender, room: string, payload: ChatPayload): Promise<ChatPayload | null> {
    let current: ChatPayload | null = { ...payload };
    for (const m of this.#list) {
      if (!m.onSayReceive) continue;
      current = (await m.onSayReceive(sender, room, current)) ?? null;
      if (!current) return null;
    }
    return current;
  }
}
