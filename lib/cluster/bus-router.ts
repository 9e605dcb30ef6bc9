/**
 * The one listener on the message bus: drops messages of other clusters (`serverToken`),
 * then hands chat messages to the chat delivery and commands (`do`/`doResponse`) to the
 * cluster RPC. Nothing else subscribes to the bus.
 */
import type { ChatBusMessage, MessageBus } from "../stores/message-bus.js";
import type { Logger } from "../logger.js";
import type { ClusterRpc } from "./cluster-rpc.js";

export interface BusRoutes {
  chat(message: ChatBusMessage & { echo?: unknown }): void;
  rpc: ClusterRpc;
}

export function routeBusMessages(bus: MessageBus, serverToken: string, routes: BusRoutes, logger: Logger): void {
  bus.onMessage((message) => {
    if (!message || message.serverToken !== serverToken) return;
    if (message.messageType === "chat") routes.chat(message);
    else if (message.messageType === "do" || message.messageType === "doResponse") {
      void routes.rpc.handle(message).catch((error: unknown) => logger.warn({ err: String(error) }, "actionhero-ws: cluster command failed"));
    }
  });
}
