/**
 * The cluster commands about connections themselves (Actionhero's `api.connections` over
 * `doCluster`): send a message to, or destroy, a connection held by this node; and the
 * every-node commands behind `ws.connections.byFingerprint(fp)` / `bySession(key, value)`.
 */
import type { ConnectionRegistry } from "../connection/connection-registry.js";
import { selectorProblem, type ConnectionSelector } from "../connection/connection-selection.js";
import type { ClusterRpc } from "./cluster-rpc.js";

/** The selector another node sent, checked like one given to the API. */
function checkedSelector(raw: unknown): ConnectionSelector {
  const problem = selectorProblem(raw);
  if (problem) throw new TypeError(problem);
  return raw as ConnectionSelector;
}

export function allowConnectionCommands(rpc: ClusterRpc, connections: ConnectionRegistry): void {
  rpc.allow("api.connections.sendMessage", async (id, message) => {
    connections.get(String(id))?.sendMessage(message as Record<string, unknown>);
    return true;
  });
  rpc.allow("api.connections.destroy", async (id) => {
    await connections.get(String(id))?.destroy();
    return true;
  });
  rpc.allowEveryNode("api.connections.destroyWhere", async (selector) => {
    await Promise.all(connections.matching(checkedSelector(selector)).map((connection) => connection.destroy()));
  });
  rpc.allowEveryNode("api.connections.sendMessageWhere", async (selector, message) => {
    if (typeof message !== "object" || message === null) throw new TypeError("sendMessageWhere needs a message object");
    for (const connection of connections.matching(checkedSelector(selector))) connection.sendMessage(message as Record<string, unknown>);
  });
}
