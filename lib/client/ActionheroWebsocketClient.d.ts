// Types for the generated client, public/javascript/ActionheroWebsocketClient.js.
// In a browser the class is the global `ActionheroWebsocketClient`; in Node,
// evaluating the generated file assigns it to `exports.ActionheroWebsocketClient`.

/** Request ids: numbers from the client's counter, or any id the caller chose. */
export type MessageId = string | number;

/** `disconnected` (initial, after disconnect() or a final close), `connecting`, `connected`,
 * `reconnecting` (Primus is retrying), `timeout` (connect timeout passed), `refused` (a
 * server connection middleware refused the connection: no reconnect until connect() again). */
export type ClientState = "disconnected" | "connecting" | "connected" | "reconnecting" | "timeout" | "refused";

/** An `error` value: a string from the server, the HTTP fallback's description of a
 * non-JSON reply, or whatever object an action threw. */
export type ErrorValue = string | HttpErrorBody | { [key: string]: unknown };

export interface HttpErrorBody {
  statusText: string;
  responseText: string;
}

/** Primus client back-off (the `recovery` module). Durations in ms or as "500 ms". */
export interface PrimusReconnectOptions {
  min?: number | string;
  max?: number | string;
  retries?: number;
  factor?: number;
  "reconnect timeout"?: number | string;
}

/** Options handed to the Primus client (a fresh copy for every socket). */
export interface PrimusClientOptions {
  reconnect?: PrimusReconnectOptions;
  /** Connect timeout in ms (Primus default 10000); also bounds connect(). `false` disables. */
  timeout?: number | false;
  pingTimeout?: number | false;
  strategy?: string | string[] | false;
  manual?: boolean;
  websockets?: boolean;
  network?: boolean;
  transport?: { [key: string]: unknown };
  queueSize?: number;
  [option: string]: unknown;
}

/** A Primus client socket, either built by the client or passed in as `externalPrimusSocket`. */
export interface PrimusClientSocket {
  on(event: string, listener: (...args: never[]) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
  write(data: unknown): unknown;
  end(data?: unknown): unknown;
  open(): unknown;
  destroy?(): unknown;
}

/** `primus.Socket` on the server, or `Primus.createSocket({ transformer })`. */
export type PrimusClientConstructor = new (url: string | undefined, options: PrimusClientOptions) => PrimusClientSocket;

export interface ActionheroClientOptions extends PrimusClientOptions {
  /** Server origin, e.g. "https://app.example". Defaults to window.location.origin; required in Node. */
  url?: string;
  /** Path of the HTTP action endpoint used while not connected. Default "/api". */
  apiPath?: string;
  /** Fingerprint cookie name. Default "sessionID". */
  cookieKey?: string;
  /** Milliseconds before a request is answered with `error: "request timed out"`. Default 30000; 0 disables. */
  requestTimeout?: number;
  /** Append `?<cookieKey>=<cookie>` from document.cookie to the socket URL, as Actionhero does. Default false. */
  sendSessionIdQuery?: boolean;
  /** Primus Socket constructor to use (Node); takes precedence over a global `Primus`. */
  Primus?: PrimusClientConstructor;
}

export interface ResolvedClientOptions extends ActionheroClientOptions {
  apiPath: string;
  cookieKey: string;
  requestTimeout: number;
  sendSessionIdQuery: boolean;
}

/** Any `context: "response"` frame. On failure `error` is set (and the Promise rejects). */
export interface ResponseFrame {
  context: "response";
  messageId: MessageId;
  error?: ErrorValue;
  status?: string;
  [key: string]: unknown;
}

/** Reply to a verb (`roomAdd`, `roomLeave`, `roomView`, `detailsView`, `say`, ...). */
export interface VerbResponse<T = unknown> extends ResponseFrame {
  /** "OK", or `"Error: <message>"` (same as `error`) on failure. */
  status: string;
  /** Absent for `say`; `{}` or the leftover request fields on failure. */
  data: T;
}

/** The `detailsView` data. */
export interface ConnectionDetails {
  id: string;
  fingerprint: string;
  remoteIP: string;
  remotePort: number | string;
  params: { [key: string]: unknown };
  connectedAt: number;
  rooms: string[];
  totalActions: number;
  pendingActions: number;
}

export type DetailsResponse = VerbResponse<ConnectionDetails>;

export interface RoomStatus {
  room: string;
  members: { [connectionId: string]: { id: string; joinedAt: number } };
  membersCount: number;
}

export type RoomViewResponse = VerbResponse<RoomStatus>;

export interface FileResponse extends ResponseFrame {
  /** File content as text, or base64 when `encoding` is "base64"; null when not found. */
  content: string | null;
  mime: string;
  length: number;
  lastModified?: string;
  encoding?: string;
}

/** An action's reply: its response fields at top level. Over HTTP it has no `context`/`messageId`
 * and may carry `serverInformation`/`requesterInformation`. */
export interface ActionResponse {
  error?: ErrorValue;
  context?: "response";
  messageId?: MessageId;
  [key: string]: unknown;
}

export interface ActionParams {
  /** Becomes the request's messageId (and is also sent as a param). */
  messageId?: MessageId;
  apiVersion?: string | number;
  /** HTTP fallback only: "GET" sends the params in the query string. Default "POST". */
  httpMethod?: string;
  [param: string]: unknown;
}

/** A frame for send(): `event` is the verb. */
export interface RequestFrame {
  event: string;
  messageId?: MessageId;
  params?: ActionParams;
  room?: string;
  [key: string]: unknown;
}

/** A chat message (`context: "user"`). */
export interface ChatMessage<M = unknown> {
  message: M;
  room: string;
  /** Sender's connection id, or "0" for server broadcasts. */
  from: string;
  context: "user";
  sentAt: number;
  /** The room's offset of this message, when the server keeps room history (option `history`, on by default). */
  offset?: number;
  /** The room's history epoch, with `offset`. */
  epoch?: string;
  [key: string]: unknown;
}

/** `roomHistory` options: the newest `limit` messages (default: all kept), below offset `before`. */
export interface RoomHistoryOptions {
  limit?: number;
  before?: number;
}

export interface WelcomeFrame {
  welcome: string;
  context: "api";
  [key: string]: unknown;
}

export interface AlertFrame {
  context: "alert";
  [key: string]: unknown;
}

export interface ApiFrame {
  context: "api";
  [key: string]: unknown;
}

/**
 * The server ends the connection and says why, on every transport, just before the close
 * (websockets then close with `code` and `reason`).
 */
export interface CloseNotice extends ApiFrame {
  event: "close";
  /** A short stable word: "rate limited", "destroyed", "quit", "server shutdown". */
  reason: string;
  /** The websocket close code (1000 destroyed/quit, 1001 server shutdown, 1008 rate limited). */
  code: number;
  message: string;
  /** Whether the client will reconnect (a server shutdown with `destroyClientsOnShutdown: false`). */
  reconnect: boolean;
}

export type IncomingFrame = ResponseFrame | ChatMessage | WelcomeFrame | AlertFrame | ApiFrame | { [key: string]: unknown };

/** Primus's `reconnect scheduled` details, passed with `reconnecting`. */
export interface ReconnectSchedule {
  /** 1-based attempt number. */
  attempt: number;
  /** Milliseconds until this attempt starts. */
  scheduled: number;
  retries: number;
  duration: number;
  start: number;
  min: number;
  max: number;
  factor: number;
  [key: string]: unknown;
}

/** Errors passed to callbacks, rejected Promises and the `error` event. */
export interface ClientError extends Error {
  /** The frame that carried the error (request failures). */
  response?: ResponseFrame | ActionResponse;
  /** The room that could not be re-joined after a reconnect. */
  room?: string;
  /** Set when the server refused the connection (`{context: "api", event: "refused"}`). */
  refused?: boolean;
}

export interface ActionheroClientEvents {
  /** Connected and configured (first connect and every reconnect). */
  connected: [details: DetailsResponse];
  /** Reconnected: rooms re-joined and id/fingerprint/rooms refreshed. Follows `connected`. */
  reconnect: [details: DetailsResponse];
  /** Primus scheduled a reconnect attempt; state is "reconnecting". */
  reconnecting: [schedule: ReconnectSchedule];
  /** Closed for good: disconnect(), server close, or retries exhausted. */
  disconnected: [];
  /** Connect timeout passed; state is "timeout". */
  timeout: [];
  /** Primus errors, failed room re-joins, and a refusal by the server (`error.refused`, state "refused"). Never thrown when nobody listens. */
  error: [error: ClientError];
  /** Every incoming frame, before routing. */
  message: [frame: IncomingFrame];
  /** A chat message, live or recovered after a reconnect (each offset once, in order). */
  say: [message: ChatMessage];
  /** After a reconnect, a room's missed messages were delivered as `say` events (`count` of them). */
  recovered: [room: string, count: number];
  /** After a reconnect, a room's missed messages could not be recovered: reload its state. */
  resync: [room: string, reason: string];
  alert: [frame: AlertFrame];
  welcome: [frame: WelcomeFrame];
  api: [frame: ApiFrame];
  /** The server's close notice (also emitted as `api`); `disconnected` or `reconnecting` follows. */
  close: [notice: CloseNotice];
}

export type ActionheroClientEvent = keyof ActionheroClientEvents;

/** Request callbacks get the raw frame, errors included (check `error`). */
export type ResponseCallback<T> = (response: T) => void;

export type Listener = (...args: unknown[]) => void;

export declare class ActionheroWebsocketClient {
  constructor(options?: ActionheroClientOptions, externalPrimusSocket?: PrimusClientSocket);

  /** Pending request callbacks by messageId. */
  callbacks: { [messageId: string]: ResponseCallback<ResponseFrame> };
  id: string | null;
  fingerprint: string | null;
  /** Rooms this client is in; re-joined after every reconnect. */
  rooms: string[];
  state: ClientState;
  options: ResolvedClientOptions;
  /** Last request counter value. */
  messageId: number;
  welcomeMessage: string | null;
  /** The server's last close notice on this connection; null until one arrives (reset by connect()). */
  closeNotice: CloseNotice | null;
  /** The Primus socket (null before connect() and after disconnect() of an owned socket). */
  client: PrimusClientSocket | null;
  externalClient: boolean;

  /** Opens the socket, re-joins `rooms`, runs detailsView. Rejects on connect timeout or close. */
  connect(): Promise<DetailsResponse>;
  connect(callback: (error: ClientError | null, details?: DetailsResponse) => void): void;

  /** Closes the socket for good; pending requests get `error: "connection closed"`. */
  disconnect(): void;

  /** Re-joins `rooms` and refreshes details; called on every open. */
  configure(callback?: (details: DetailsResponse) => void): void;

  /** Writes any frame; resolves with the reply carrying the same messageId. */
  send<T extends ResponseFrame = ResponseFrame>(frame: RequestFrame): Promise<T>;
  send<T extends ResponseFrame = ResponseFrame>(frame: RequestFrame, callback: ResponseCallback<T>): void;

  /** Runs an action over the socket, or over HTTP while not connected. Params are copied. */
  action<T extends ActionResponse = ActionResponse>(action: string, params?: ActionParams | null): Promise<T>;
  action<T extends ActionResponse = ActionResponse>(action: string, callback: ResponseCallback<T>): void;
  action<T extends ActionResponse = ActionResponse>(action: string, params: ActionParams | null | undefined, callback: ResponseCallback<T>): void;

  /** Runs an action over HTTP at `url + apiPath + "?action=<name>"`. */
  actionWeb<T extends ActionResponse = ActionResponse>(params: ActionParams & { action: string }): Promise<T>;
  actionWeb<T extends ActionResponse = ActionResponse>(params: ActionParams & { action: string }, callback: ResponseCallback<T>): void;

  /** Says a string or a JSON value to a room. */
  say(room: string, message: unknown): Promise<VerbResponse<undefined>>;
  say(room: string, message: unknown, callback: ResponseCallback<VerbResponse<undefined>>): void;

  file(path: string): Promise<FileResponse>;
  file(path: string, callback: ResponseCallback<FileResponse>): void;

  /** Also refreshes `id`, `fingerprint` and `rooms`. */
  detailsView(): Promise<DetailsResponse>;
  detailsView(callback: ResponseCallback<DetailsResponse>): void;

  roomView(room: string): Promise<RoomViewResponse>;
  roomView(room: string, callback: ResponseCallback<RoomViewResponse>): void;

  /** Joins a room; on success it is added to `rooms` once. */
  roomAdd(room: string): Promise<VerbResponse<boolean>>;
  roomAdd(room: string, callback: ResponseCallback<VerbResponse<boolean>>): void;

  /** The room's newest messages, oldest first (members only; the server's option `history`). */
  roomHistory(room: string, options?: RoomHistoryOptions): Promise<VerbResponse<ChatMessage[]>>;
  roomHistory(room: string, options: RoomHistoryOptions, callback: ResponseCallback<VerbResponse<ChatMessage[]>>): void;
  roomHistory(room: string, callback: ResponseCallback<VerbResponse<ChatMessage[]>>): void;

  /** Removes the room from `rooms`, then leaves it. */
  roomLeave(room: string): Promise<VerbResponse<boolean>>;
  roomLeave(room: string, callback: ResponseCallback<VerbResponse<boolean>>): void;

  documentation(): Promise<VerbResponse>;
  documentation(callback: ResponseCallback<VerbResponse>): void;

  /** Routes one incoming frame (Actionhero's order). */
  handleMessage(message: IncomingFrame): void;

  /** `url` plus `?<cookieKey>=<value>` from document.cookie (used when sendSessionIdQuery is set). */
  urlWithSession(): string | undefined;

  on<E extends ActionheroClientEvent>(event: E, listener: (...args: ActionheroClientEvents[E]) => void): this;
  on(event: string, listener: Listener): this;
  addListener<E extends ActionheroClientEvent>(event: E, listener: (...args: ActionheroClientEvents[E]) => void): this;
  addListener(event: string, listener: Listener): this;
  once<E extends ActionheroClientEvent>(event: E, listener: (...args: ActionheroClientEvents[E]) => void): this;
  once(event: string, listener: Listener): this;
  /** Without a listener, removes every listener of the event. */
  off<E extends ActionheroClientEvent>(event: E, listener?: (...args: ActionheroClientEvents[E]) => void): this;
  off(event: string, listener?: Listener): this;
  removeListener<E extends ActionheroClientEvent>(event: E, listener?: (...args: ActionheroClientEvents[E]) => void): this;
  removeListener(event: string, listener?: Listener): this;
  removeAllListeners(event?: string): this;
  listeners(event: string): Listener[];
  listenerCount(event: string): number;
  /** Returns whether any listener ran; an unheard `error` is dropped. */
  emit<E extends ActionheroClientEvent>(event: E, ...args: ActionheroClientEvents[E]): boolean;
  emit(event: string, ...args: unknown[]): boolean;
}
