/**
 * Fan-out between nodes. Messages are Actionhero-shaped JSON objects on one channel
 * (default `actionhero`); every message carries the cluster's `serverToken` and receivers
 * drop messages with another token.
 */
import type { EventEmitter } from "node:events";

export interface ChatBusMessage {
  messageType: "chat";
  serverToken: string;
  serverId: string;
  message: unknown;
  sentAt: number;
  connection: { id: string; room: string };
  /**
   * Our addition (Actionhero ignores it): the Redis bus stamps it at publish; a node that
   * receives the message after this time (ms since the epoch) drops it, because by then
   * the sender may have answered its `say` with an error (redis-message-bus.ts).
   */
  deliverBy?: number;
}

/** A cross-node command; `method` is checked against a fixed allowlist by the receiver. */
export interface RpcBusMessage {
  messageType: "do";
  serverToken: string;
  serverId: string;
  messageId: string;
  method: string;
  connectionId?: string;
  args: unknown[];
}

export interface RpcReplyBusMessage {
  messageType: "doResponse";
  serverToken: string;
  serverId: string;
  messageId: string;
  response?: unknown;
  error?: string;
}

export type BusMessage = ChatBusMessage | RpcBusMessage | RpcReplyBusMessage;

/**
 * Events: `error` (Error), `resync` (the subscription was lost and restored; messages may
 * have been missed), `ready`.
 */
export interface MessageBus extends EventEmitter {
  /** true while messages can be published and received */
  readonly ready: boolean;
  start(): Promise<void>;
  close(): Promise<void>;
  /** Publishes to every node, this one included. */
  publish(message: BusMessage): Promise<void>;
  /** Called with every well-formed message on the channel (token checked by the caller). */
  onMessage(handler: (message: BusMessage) => void): void;
}
