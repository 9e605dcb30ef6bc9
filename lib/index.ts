/** actionhero-ws: Actionhero's websocket server, chat rooms and client as Express middleware. */
export { actionheroWs } from "./actionhero-ws.js";
export type { ActionheroWs, CloseOptions, Stats } from "./actionhero-ws.js";
export type { ActionheroWsOptions, PrimusServerOptions, ClientDefaults, HistoryOptions, LimitOptions, ResolvedOptions } from "./options.js";
export type { ActionDefinition, ActionInput, ActionData, HttpRequester, Params } from "./actions/action.js";
export type { ActionMiddleware, ActionMiddlewareFunction, ActionProcessorData, ActionStatus } from "./actions/action-middleware.js";
export { Connection } from "./connection/connection.js";
export type { ConnectionDetails, OutboundMessage, MessageId } from "./connection/connection.js";
export type { ConnectionRegistry } from "./connection/connection-registry.js";
export type { ConnectionMiddleware, HandshakeMiddleware, HandshakeRequest } from "./connection/connection-middleware.js";
export type { ConnectionSelection, ConnectionSelector, SessionValue } from "./connection/connection-selection.js";
export type { ChatMiddleware, ChatPayload, ChatSender } from "./chat/chat-middleware.js";
export type { ChatRoom, RoomStatus } from "./chat/chat-room.js";
export type { Logger } from "./logger.js";
export type { RoomStore, MemberRecord } from "./stores/room-store.js";
export type { MessageBus, BusMessage } from "./stores/message-bus.js";
export type { RedisOption } from "./stores/redis-option.js";
export type { MetricsOptions, MetricsRegistry } from "./stats/prometheus-metrics.js";
