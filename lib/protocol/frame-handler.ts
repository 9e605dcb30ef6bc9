/**
 * Turns one inbound frame into a verb, an action or a file read, and answers it. Nothing
 * a client sends can throw out of here: every failure becomes an error frame to that
 * client, and the server goes on serving everyone else.
 */
import { closeReasons, type Connection, type MessageId } from "../connection/connection.js";
import type { ActionRegistry } from "../actions/action-registry.js";
import { runActionThen, type ProcessorState } from "../actions/action-processor.js";
import { chatErrors, type ChatRoom } from "../chat/chat-room.js";
import type { Logger } from "../logger.js";
import { readPublicFile } from "../files/static-file.js";
import { actionReply, closeNotice, freshMessageId, invalidJsonReply, notOpenYet, rateLimitedReply, unencodableReply, verbError, verbOk } from "./replies.js";
import { FrameError, asFrameObject, inspectClientValue, maxFrameDepth, messageIdOf, nullPrototypeCopy } from "./frame-checks.js";
import { TokenBucket } from "./rate-limiter.js";
import type { RuntimeCounters } from "../stats/counters.js";
import { prototypeFree } from "../connection/prototype-free.js";

export interface FrameHandlerDeps {
  actions: ActionRegistry;
  chat: ChatRoom;
  processor: ProcessorState;
  logger: Logger;
  /** The resolved options frames are checked against (defaults in options.ts). */
  settings: {
    publicDir: string;
    maxFileBytes: number;
    limits: {
      messageIdLength: number;
      messagesPerSecond: number;
      messageBurst: number;
      /** Frames a connection may send while its connection middleware runs; more are refused. */
      framesWhileOpening: number;
    };
  };
  /** Counts for stats() and metrics. */
  counters: RuntimeCounters;
}

const verbNotAllowed = (verb: unknown) => `verb not found or not allowed (${String(verb)})`;

export class FrameHandler {
  readonly #buckets = new WeakMap<Connection, TokenBucket>();
  /** Connections closed for flooding whose close is under way. */
  readonly #closingFlooders = new WeakSet<Connection>();
  /** Frames that arrived before the welcome (connection middleware still running), in order. */
  readonly #held = new WeakMap<Connection, unknown[]>();

  constructor(private readonly deps: FrameHandlerDeps) {}

  /**
   * Handles one frame. Returns a promise only while work is pending (an action that is
   * asynchronous, a verb, a file): the action path of every round trip stays free of
   * needless promises and `await`s. Never rejects.
   */
  handle(connection: Connection, data: unknown): void | Promise<void> {
    // A frame without a usable id is answered with freshMessageId(), made only when needed
    // (a UUID per frame is ~0.3 µs on every round trip).
    let messageId: MessageId | undefined;
    // Frames still arriving after a close (quit, flood, shutdown) are not run.
    if (connection.destroyed) return;
    if (connection.opening) return this.#hold(connection, data);
    try {
      if (!this.#admit(connection, data)) return;
      const frame = asFrameObject(data);
      this.deps.counters.frame(frame.event);
      const checked = messageIdOf(frame, this.deps.settings.limits.messageIdLength);
      messageId = checked.id;
      connection.messageId = messageId;
      const problem = checked.error ? new FrameError(checked.error, "message_id") : inspectClientValue(frame, maxFrameDepth);
      if (problem) {
        // A refused frame still replaces the previous frame's params (detailsView shows them).
        connection.params = prototypeFree();
        throw problem;
      }

      const verb = frame.event;
      if (verb === "action") return this.#action(connection, frame.params, messageId);
      const id = messageId;
      return this.#verb(connection, frame, messageId).catch((error: unknown) => this.#refuse(connection, data, id, error));
    } catch (error) {
      this.#refuse(connection, data, messageId, error);
    }
  }

  /**
   * Keeps a frame that arrived while the connection's `create` middleware runs: nothing of
   * the client's runs before it is accepted. Over `framesWhileOpening` waiting, a frame is
   * refused with an error instead; a refused connection's frames are dropped with it.
   */
  #hold(connection: Connection, data: unknown): void {
    let held = this.#held.get(connection);
    if (!held) this.#held.set(connection, (held = []));
    if (held.length < this.deps.settings.limits.framesWhileOpening) {
      held.push(data);
      return;
    }
    const id = typeof data === "object" && data !== null ? messageIdOf(data as Record<string, unknown>, this.deps.settings.limits.messageIdLength).id : undefined;
    this.#refuse(connection, data, id, new FrameError(notOpenYet(this.deps.settings.limits.framesWhileOpening)));
  }

  /** The connection was welcomed: the frames that waited run now, in the order they came. */
  release(connection: Connection): void {
    const held = this.#held.get(connection);
    if (!held) return;
    this.#held.delete(connection);
    for (const data of held) void this.handle(connection, data);
  }

  /** The transport could not decode what the client sent (not JSON): counted and answered. */
  undecodable(connection: Connection): void {
    this.deps.counters.badFrame("invalid_json");
    connection.sendMessage(invalidJsonReply());
  }

  /** A frame that could not be run: counted, logged at debug, answered with the reason. */
  #refuse(connection: Connection, data: unknown, messageId: MessageId | undefined, error: unknown): void {
    this.deps.counters.badFrame(error instanceof FrameError ? error.reason : "other");
    const reason = error instanceof Error ? error.message : String(error);
    this.deps.logger.debug({ connection: connection.id, reason }, "actionhero-ws: bad frame");
    connection.sendMessage(verbError(new Error(reason), typeof data === "object" ? {} : data, messageId ?? freshMessageId()));
  }

  /** Verbs other than `action`: Actionhero's `{status: "OK", data}` or its error frame. */
  async #verb(connection: Connection, frame: Record<string, unknown>, messageId: MessageId): Promise<void> {
    const verb = frame.event;
    if (verb === "file") return this.#file(connection, frame.file, messageId);
    connection.params = prototypeFree();
    const { event: _verb, messageId: _id, room, ...others } = frame;
    const words: unknown[] = room ? [room, ...Object.values(others)] : Object.values(others);
    try {
      const result = await this.verbs(connection, verb, words);
      if (verb !== "quit" && verb !== "exit") connection.sendMessage(verbOk(result, messageId));
    } catch (error) {
      connection.sendMessage(verbError(error, others, messageId));
    }
  }

  /** Runs a verb as Actionhero's `connection.verbs(verb, words)`; throws on failure. */
  async verbs(connection: Connection, verb: unknown, words: unknown[]): Promise<unknown> {
    const chat = this.deps.chat;
    const room = words[0] as string;
    switch (verb) {
      case "quit":
      case "exit":
        await connection.destroy({ close: closeReasons.quit });
        return undefined;
      case "documentation":
        return this.deps.actions.documentation();
      case "detailsView":
        return connection.details();
      case "roomAdd":
        // `since`: a re-join after a reconnect asking for what it missed (room-history-reader.ts).
        return words[1] !== undefined ? chat.addMemberSince(connection, room, words[1]) : chat.addMember(connection.id, room);
      case "roomHistory":
        return chat.history(room, words[1], connection);
      case "roomLeave":
        return chat.removeMember(connection.id, room);
      case "roomView":
        if (!connection.rooms.includes(room)) throw new Error(chatErrors.notInRoom(String(room)));
        return chat.roomStatus(room);
      case "say": {
        // One word after the room is delivered intact (string or object); several are
        // joined with spaces as Actionhero does.
        const message = words.length === 2 ? words[1] : words.slice(1).join(" ");
        await chat.broadcast(connection, room, message);
        return undefined;
      }
      default:
        throw new Error(verbNotAllowed(verb));
    }
  }

  /** Token bucket; returns false (after answering) when the frame must be dropped. */
  #admit(connection: Connection, data: unknown): boolean {
    let bucket = this.#buckets.get(connection);
    if (!bucket) this.#buckets.set(connection, (bucket = new TokenBucket(this.deps.settings.limits.messagesPerSecond, this.deps.settings.limits.messageBurst)));
    const retryAfterMs = bucket.take();
    if (retryAfterMs === 0) return true;
    // Being closed for flooding: no more answers (the close notice is the last frame).
    if (this.#closingFlooders.has(connection)) return false;
    this.deps.counters.rateLimited++;
    if (bucket.flooding) {
      this.#closeFlooder(connection);
      return false;
    }
    const id = typeof data === "object" && data !== null ? messageIdOf(data as Record<string, unknown>, this.deps.settings.limits.messageIdLength).id : freshMessageId();
    connection.sendMessage(rateLimitedReply(id, retryAfterMs));
    return false;
  }

  /**
   * Closes a connection that kept flooding. The close waits for the next turn of the event
   * loop, so replies to frames admitted before it (verbs answer a microtask later) go out
   * first; frames refused meanwhile are dropped unanswered.
   */
  #closeFlooder(connection: Connection): void {
    this.#closingFlooders.add(connection);
    const { messagesPerSecond, messageBurst } = this.deps.settings.limits;
    this.deps.counters.rateLimitCloses++;
    this.deps.logger.warn(
      { connection: connection.id, remoteIP: connection.remoteIP, reason: "rate limited", messagesPerSecond, messageBurst },
      "actionhero-ws: closing a connection that keeps flooding (over limits.messagesPerSecond)",
    );
    setImmediate(() => {
      // The transport sends the notice before the close (Primus writes in order); the
      // client is told not to reconnect.
      const message = `closed: more than ${messagesPerSecond} messages per second (burst ${messageBurst}) sustained`;
      void connection.destroy({ close: { code: 1008, reason: "rate limited", message } });
    });
  }

  /** Runs an action; its reply is written from the action's own completion, without promises of ours. */
  #action(connection: Connection, params: unknown, messageId: MessageId): void {
    const received = nullPrototypeCopy(params);
    connection.params = received;
    const { processor } = this.deps;
    processor.begin();
    runActionThen(this.deps.actions, connection, received, processor, (error, outcome) => {
      try {
        if (outcome === undefined) this.#refuse(connection, received, messageId, error);
        // The transport finds out whether JSON can encode the reply while it encodes it
        // anyway: no extra walk over every reply here.
        else if (outcome.toRender && !connection.sendFrame(actionReply(outcome.response, messageId))) this.#unencodable(connection, received, messageId);
      } catch (failure) {
        // A reply the transport failed to write: said once, at debug.
        this.deps.logger.debug({ connection: connection.id, err: String(failure) }, "actionhero-ws: could not send an action reply");
      } finally {
        processor.end();
      }
    });
  }

  /** The action ran but JSON cannot encode its response: the app's bug, answered as an error. */
  #unencodable(connection: Connection, received: Record<string, unknown>, messageId: MessageId): void {
    this.deps.logger.warn({ connection: connection.id, action: String(received.action) }, "actionhero-ws: an action's response could not be encoded as JSON (a cycle or a BigInt?)");
    connection.sendFrame(unencodableReply(messageId));
  }

  async #file(connection: Connection, file: unknown, messageId: MessageId): Promise<void> {
    connection.params = nullPrototypeCopy({ file });
    const reply = await readPublicFile(this.deps.settings.publicDir, file, this.deps.settings.maxFileBytes);
    connection.sendMessage({ ...reply, context: "response", messageId });
  }
}
