/**
 * The connections of one browser or one user across the cluster: `byFingerprint(fp)` or
 * `bySession(key, value)` (a value the app stored in `connection.session`, e.g. a user id
 * set by a connection middleware's `create`). What is done to a selection is done on this
 * node at once and sent to every other node as a cluster command (lib/cluster/).
 */
import type { Connection, OutboundMessage } from "./connection.js";

/** What a selection matches: a fingerprint, or `connection.session[key] === value`. */
export type ConnectionSelector =
  | { fingerprint: string }
  | { sessionKey: string; value: SessionValue };

/** Session values a selection can match (they travel between nodes as JSON). */
export type SessionValue = string | number | boolean;

const unsafeKeys = new Set(["__proto__", "constructor", "prototype"]);

/**
 * The selector in `raw`, checked (it also arrives from other nodes), or an error message.
 */
export function selectorProblem(raw: unknown): string | undefined {
  if (typeof raw !== "object" || raw === null) return "a selector must be an object";
  const selector = raw as Record<string, unknown>;
  if ("fingerprint" in selector) {
    return typeof selector.fingerprint === "string" && selector.fingerprint !== "" ? undefined : "the fingerprint must be a non-empty string";
  }
  const { sessionKey, value } = selector;
  if (typeof sessionKey !== "string" || sessionKey === "" || unsafeKeys.has(sessionKey)) return "the session key must be a non-empty string (not __proto__, constructor or prototype)";
  if (!(typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value)))) {
    return "the session value must be a string, a finite number or a boolean";
  }
  return undefined;
}

export function matches(connection: Connection, selector: ConnectionSelector): boolean {
  if ("fingerprint" in selector) return connection.fingerprint === selector.fingerprint;
  return Object.hasOwn(connection.session, selector.sessionKey) && connection.session[selector.sessionKey] === selector.value;
}

/** Sends a command about a selection to every other node (set by the runtime). */
export type EveryNode = (command: "destroy" | "sendMessage", selector: ConnectionSelector, message?: OutboundMessage) => Promise<void>;

export class ConnectionSelection {
  constructor(
    readonly selector: ConnectionSelector,
    private readonly find: (selector: ConnectionSelector) => Connection[],
    private readonly everyNode: EveryNode,
  ) {}

  /** This node's matching connections (those still opening included). */
  get local(): Connection[] {
    return this.find(this.selector);
  }

  /**
   * Ends every matching connection on every node (the clients do not reconnect by
   * themselves). Resolves once this node's are destroyed and the command is sent to the
   * others, which act on it when it arrives; rejects when it could not be sent.
   */
  async destroy(): Promise<void> {
    const sent = this.everyNode("destroy", this.selector);
    await Promise.all(this.local.map((connection) => connection.destroy()));
    await sent;
  }

  /** Sends `message` to every matching connection on every node (as `connection.sendMessage`). */
  async sendMessage(message: OutboundMessage): Promise<void> {
    if (typeof message !== "object" || message === null) throw new TypeError("actionhero-ws: sendMessage needs a message object");
    const sent = this.everyNode("sendMessage", this.selector, message);
    for (const connection of this.local) connection.sendMessage(message);
    await sent;
  }
}
