/**
 * Commands for connections on other nodes (Actionhero's `doCluster`), over the message bus:
 * to the channel of the node holding the connection when it is known, replies to the
 * asking node's channel (one channel for all with Actionhero's single channel).
 * Unlike Actionhero only a fixed allowlist of methods runs, and a remote failure is sent
 * back instead of ending in a timeout.
 */
import { randomUUID } from "node:crypto";
import type { MessageBus, RpcBusMessage, RpcReplyBusMessage } from "../stores/message-bus.js";
import type { Logger } from "../logger.js";

export type RpcHandler = (...args: unknown[]) => Promise<unknown>;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class ClusterRpc {
  readonly #pending = new Map<string, Pending>();
  readonly #handlers = new Map<string, RpcHandler>();
  /** Commands every node runs (no connectionId), e.g. destroying a user's connections. */
  readonly #everyNodeHandlers = new Map<string, RpcHandler>();

  constructor(
    private readonly bus: MessageBus,
    private readonly nodeId: string,
    private readonly serverToken: string,
    private readonly timeoutMs: number,
    private readonly hasConnection: (id: string) => boolean,
    private readonly logger: Logger,
  ) {}

  /** Registers an allowed method (e.g. `api.chatRoom.addMember`). */
  allow(method: string, handler: RpcHandler): void {
    this.#handlers.set(method, handler);
  }

  /** Registers a method every other node runs when `everyNode` sends it. */
  allowEveryNode(method: string, handler: RpcHandler): void {
    this.#everyNodeHandlers.set(method, handler);
  }

  /**
   * Sends `method` to every other node (the caller acts on its own node itself). Nobody
   * answers: how many nodes there are is not known. Rejects only when it cannot be published.
   */
  async everyNode(method: string, args: unknown[]): Promise<void> {
    const message: RpcBusMessage = {
      messageType: "do", serverToken: this.serverToken, serverId: this.nodeId, messageId: randomUUID(), method, args,
    };
    await this.bus.publish(message);
  }

  /**
   * Runs `method` on the node holding `connectionId`: sent to node `node` when the caller
   * knows it, else to every node. Rejects with `RPC Timeout` when none answers.
   */
  async call(method: string, connectionId: string, args: unknown[], wait = true, node?: string): Promise<unknown> {
    const messageId = randomUUID();
    const message: RpcBusMessage = {
      messageType: "do", serverToken: this.serverToken, serverId: this.nodeId, messageId, method, connectionId, args,
    };
    if (!wait) {
      await this.bus.publish(message, node);
      return undefined;
    }
    const reply = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(messageId);
        reject(new Error("RPC Timeout"));
      }, this.timeoutMs);
      this.#pending.set(messageId, { resolve, reject, timer });
    });
    try {
      await this.bus.publish(message, node);
    } catch (error) {
      const pending = this.#pending.get(messageId);
      if (pending) clearTimeout(pending.timer);
      this.#pending.delete(messageId);
      throw error;
    }
    return reply;
  }

  /** Handles `do` and `doResponse` messages from the bus (token already checked). */
  async handle(message: RpcBusMessage | RpcReplyBusMessage): Promise<void> {
    if (message.messageType === "doResponse") {
      const pending = this.#pending.get(message.messageId);
      if (!pending) return;
      clearTimeout(pending.timer);
      this.#pending.delete(message.messageId);
      if (typeof message.error === "string") pending.reject(new Error(message.error));
      else pending.resolve(message.response);
      return;
    }
    if (message.connectionId === undefined) return this.#runEveryNode(message);
    if (typeof message.connectionId !== "string" || !this.hasConnection(message.connectionId)) return;
    const handler = this.#handlers.get(message.method);
    if (!handler || !Array.isArray(message.args)) {
      this.logger.warn({ method: message.method, from: message.serverId }, "actionhero-ws: refused cluster command not on the allowlist");
      return;
    }
    const reply: RpcReplyBusMessage = {
      messageType: "doResponse", serverToken: this.serverToken, serverId: this.nodeId, messageId: message.messageId,
    };
    try {
      reply.response = await handler(...message.args);
    } catch (error) {
      reply.error = error instanceof Error ? error.message : String(error);
    }
    // the reply goes to the asking node's own channel
    await this.bus.publish(reply, message.serverId).catch((error: unknown) => this.logger.warn({ err: String(error) }, "actionhero-ws: could not answer cluster command"));
  }

  async #runEveryNode(message: RpcBusMessage): Promise<void> {
    // The sender did its own part before publishing.
    if (message.serverId === this.nodeId) return;
    const handler = this.#everyNodeHandlers.get(message.method);
    if (!handler || !Array.isArray(message.args)) {
      // Actionhero sends its own every-node commands this way: not ours to run.
      this.logger.debug({ method: message.method, from: message.serverId }, "actionhero-ws: ignored an every-node cluster command not on the allowlist");
      return;
    }
    try {
      await handler(...message.args);
    } catch (error) {
      this.logger.warn({ method: message.method, from: message.serverId, err: String(error) }, "actionhero-ws: an every-node cluster command failed");
    }
  }

  /** Rejects everything still waiting (on close). */
  close(): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error("RPC cancelled: server closing"));
      this.#pending.delete(id);
    }
  }

  get pendingCount(): number {
    return this.#pending.size;
  }
}
