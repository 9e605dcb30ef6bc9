/**
 * Runs one action for a websocket connection or an HTTP request and shapes the result the
 * way Actionhero does: the response fields flat, `error` as a string without "Error: ".
 */
import type { ActionData, ActionDefinition, HttpRequester, Params } from "./action.js";
import type { ActionRegistry } from "./action-registry.js";
import { InputError, prepareParams } from "./input-validation.js";
import { Connection } from "../connection/connection.js";

export const actionErrors = {
  unknownAction: "unknown action or invalid apiVersion",
  tooManyPending: "you have too many pending requests",
  shuttingDown: "the server is shutting down",
  blockedType: (type: string) => `this action does not support the ${type} connection type`,
} as const;

export type ActionOutcomeKind = "ok" | "unknown" | "invalid" | "busy" | "failed" | "shutdown";

export interface ActionOutcome {
  /** Response fields, plus `error` when it failed. */
  response: Record<string, unknown>;
  /** false when the action set `toRender = false`: send nothing. */
  toRender: boolean;
  kind: ActionOutcomeKind;
}

export interface ProcessorState {
  readonly simultaneousActions: number;
  readonly shuttingDown: boolean;
  /**
   * Callers bracket an action from its start until its reply is written, so close() can
   * wait for in-flight work to reach its client.
   */
  begin(): void;
  end(): void;
  /** Counts each outcome; `action` is a registered name or "unknown" (bounded for metrics). */
  recordAction?(action: string, kind: ActionOutcomeKind): void;
}

/** A thrown Error becomes its message, a string stays, any other value is sent as is. */
function errorValue(error: unknown): unknown {
  if (error instanceof Error) return error.message;
  return error;
}

/**
 * Runs the action. The outcome is returned directly when nothing in the way was
 * asynchronous (inputs without async hooks and a `run` that returns a plain value), else as
 * a promise: this is every action round trip, and each needless promise or `await` is a
 * measurable share of it (bench/README.md). Rejects only on errors that are not the
 * action's own (those become `kind: "failed"`).
 */
export function processAction(
  registry: ActionRegistry,
  requester: Connection | HttpRequester,
  received: Params,
  state: ProcessorState,
): ActionOutcome | Promise<ActionOutcome> {
  const socket = requester instanceof Connection ? requester : undefined;
  if (socket) {
    socket.totalActions++;
    socket.pendingActions++;
  }
  const action = registry.get(received.action, received.apiVersion);
  // Label with the registered name only: client-chosen names must not grow the metrics.
  const label = action ? String(received.action) : "unknown";
  let outcome: ActionOutcome | Promise<ActionOutcome>;
  try {
    outcome = runAction(action, requester, socket, received, state);
  } catch (error) {
    if (socket) socket.pendingActions--;
    throw error;
  }
  if (!isThenable(outcome)) return settle(outcome, socket, state, label);
  return outcome.then(
    (done) => settle(done, socket, state, label),
    (error: unknown) => {
      if (socket) socket.pendingActions--;
      throw error;
    },
  );
}

function settle(outcome: ActionOutcome, socket: Connection | undefined, state: ProcessorState, label: string): ActionOutcome {
  if (socket) socket.pendingActions--;
  state.recordAction?.(label, outcome.kind);
  return outcome;
}

function runAction(
  action: ActionDefinition | undefined,
  requester: Connection | HttpRequester,
  socket: Connection | undefined,
  received: Params,
  state: ProcessorState,
): ActionOutcome | Promise<ActionOutcome> {
  if (state.shuttingDown) return failure(actionErrors.shuttingDown, "shutdown");
  // Counted first, as in Actionhero: the (limit+1)th concurrent request fails.
  if (socket && socket.pendingActions > state.simultaneousActions) return failure(actionErrors.tooManyPending, "busy");
  if (!action) return failure(actionErrors.unknownAction, "unknown");
  if (action.blockedConnectionTypes?.includes(requester.type)) {
    return failure(actionErrors.blockedType(requester.type), "invalid");
  }
  let prepared: Params | Promise<Params>;
  try {
    prepared = prepareParams(action, received);
  } catch (error) {
    return invalidInput(error);
  }
  if (!isThenable(prepared)) return execute(action, requester, prepared);
  return prepared.then((params) => execute(action, requester, params), invalidInput);
}

/** An InputError is the client's: a 422-like outcome. Anything else is ours: rethrown. */
function invalidInput(error: unknown): ActionOutcome {
  if (error instanceof InputError) return failure(error.message, "invalid");
  throw error;
}

function execute(action: ActionDefinition, requester: Connection | HttpRequester, params: Params): ActionOutcome | Promise<ActionOutcome> {
  const data: ActionData = { params, connection: requester, response: {}, toRender: true, actionTemplate: action };
  let returned: unknown;
  try {
    returned = action.run(data);
  } catch (error) {
    return failed(data, error);
  }
  if (!isThenable(returned)) return completed(data, returned);
  // Promise.resolve: a native promise passes through as is; another thenable is adopted.
  return Promise.resolve(returned).then(
    (value) => completed(data, value),
    (error: unknown) => failed(data, error),
  );
}

function completed(data: ActionData, returned: unknown): ActionOutcome {
  if (returned !== null && typeof returned === "object" && !Array.isArray(returned)) Object.assign(data.response, returned);
  return { response: data.response, toRender: data.toRender, kind: "ok" };
}

function failed(data: ActionData, error: unknown): ActionOutcome {
  return { response: { ...data.response, error: errorValue(error) }, toRender: data.toRender, kind: "failed" };
}

/** Awaiting only real promises saves a microtask hop per step on the request path. */
export function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

function failure(error: string, kind: ActionOutcomeKind): ActionOutcome {
  return { response: { error }, toRender: true, kind };
}
