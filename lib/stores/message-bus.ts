/**
 * Fan-out between nodes. Messages are Actionhero-shaped JSON objects; every message carries
 * the cluster's `serverToken` and receivers drop messages with another token.
 *
 * Where a message travels is the bus's business (README, "Running several nodes"): with
 * per-room channels a chat message goes to its room's channel, which only nodes with members
 * there subscribe to, and commands go to the addressed node's channel; with Actionhero's
 * single channel everything goes to every node. Callers say what they mean (a room, a node)
 * and never ask which it is.
 */
import type { EventEmitter } from "node:events";
import type { HistoryQuery, HistoryRead } from "./room-history.js";

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
  /** Our addition: the room's offset of this message, when the room keeps history (room-history.ts). */
  offset?: number;
  /** Our addition: the room's history epoch, with `offset`. */
  epoch?: string;
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
  /** Messages this node received from the bus (well-formed or not), for `stats()`. */
  readonly received: number;
  start(): Promise<void>;
  close(): Promise<void>;
  /**
   * A chat message goes to every node subscribed to its room (this one included). A
   * command or reply goes to node `toNode`, or to every node when it is not given (the
   * holder of a connection is not always known).
   */
  publish(message: BusMessage, toNode?: string): Promise<void>;
  /**
   * From now on this node receives the room's chat messages: resolves once the
   * subscription is confirmed, so a member answered after it misses nothing. Calls for one
   * room are not counted: the caller (chat/room-subscriptions.ts) subscribes once.
   */
  subscribeRoom(room: string): Promise<void>;
  /** Stops receiving the room's chat messages. */
  unsubscribeRoom(room: string): Promise<void>;
  /**
   * Rooms whose subscription is not live although `subscribeRoom` was confirmed (a lost
   * or silently dropped subscription); empty when every one is live. A room whose probe
   * could not be published is not reported: that proves nothing about its subscription.
   * The periodic self-check (chat/room-subscriptions.ts) repairs them by subscribing again.
   */
  deadRooms(rooms: Iterable<string>): Promise<string[]>;
  /** true when chat messages get offsets and rooms keep history (option `history`). */
  readonly history: boolean;
  /** The room's kept history (room-history.ts); rejects when `history` is false. */
  readHistory(room: string, query: HistoryQuery): Promise<HistoryRead>;
  /** Called with every well-formed message on the channel (token checked by the caller). */
  onMessage(handler: (message: BusMessage) => void): void;
}
