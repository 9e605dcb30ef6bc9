/**
 * The cluster commands about connections themselves (Actionhero's `api.connections` over
 * `doCluster`): send a message to, or destroy, a connection held by this node.
 */
import type { ConnectionRegistry } from "../connection/connection-registry.js";
import type { ClusterRpc } from "./cluster-rpc.js";

export function allowConnectionCommands(rpc: ClusterRpc, connections: ConnectionRegistry): void {
  rpc.allow("api.connections.sendMessage", async (id, message) => {
    connections.get(String(id))?.sendMessage(message as Record<string, unknown>);
    return true;
  });
  rpc.allow("api.connections.destroy", async (id) => {
    await connections.get(String(id))?.destroy();
    return true;
  });
}
