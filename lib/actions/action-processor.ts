/**
 * Runs one action for a websocket connection or an HTTP request and shapes the result the
 * way Actionhero does: the response fields flat, `error` as a string without "Error: ".
 */
import type { ActionData, ActionDefinition, HttpRequester, Params } from "./action.js";
import type { ActionRegistry } from "./action-registry.js";
import { InputError, prepareParams } from "./input-validation.js";
import { Connection } from "../connection/connection.js";
import { runWithMiddleware } from "./middleware-runner.js";
import { failed, failure, isThenable, type ActionOutcome, type ActionOutcomeKind, type OutcomeCallback } from "./action-outcome.js";

export { isThenable, type ActionOutcome, type ActionOutcomeKind, type OutcomeCallback };

export const actionErrors = {
  unknownAction: "unknown action or invalid apiVersion",
  tooManyPending: "you have too many pending requests",
  shuttingDown: "the server is shutting down",
  blockedType: (type: string) => `this action does not support the ${type} connection type`,
} as const;

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

/**
 * Runs the action and calls `done` once: synchronously when nothing in the way was
 * asynchronous (inputs without async hooks and a `run` that returns a plain value), else
 * from the one promise reaction of whatever was asynchronous. This is every action round
 * trip: a chain of awaits or `.then`s costs a promise and a microtask per step (bench/README.md).
 * `done` must not throw. Errors that are the action's own become `kind: "failed"`.
 */
export function runActionThen(
  registry: ActionRegistry,
  requester: Connection | HttpRequester,
  received: Params,
  state: ProcessorState,
  done: OutcomeCallback,
): void {
  const socket = requester instanceof Connection ? requester : undefined;
  if (socket) {
    socket.totalActions++;
    socket.pendingActions++;
  }
  const action = registry.get(received.action, received.apiVersion);
  // Label with the registered name only: client-chosen names must not grow the metrics.
  const label = action ? String(received.action) : "unknown";
  let settled = false;
  const finish = (error: unknown, outcome?: ActionOutcome) => {
    if (settled) return;
    settled = true;
    if (socket) socket.pendingActions--;
    if (outcome) state.recordAction?.(label, outcome.kind);
    done(error, outcome);
  };
  try {
    runAction(registry, action, requester, socket, received, state, finish);
  } catch (error) {
    finish(error);
  }
}

/** The same as a promise (the HTTP endpoint): rejects only on errors that are not the action's. */
export function processAction(
  registry: ActionRegistry,
  requester: Connection | HttpRequester,
  received: Params,
  state: ProcessorState,
): Promise<ActionOutcome> {
  return new Promise((resolve, reject) => {
    runActionThen(registry, requester, received, state, (error, outcome) => (outcome ? resolve(outcome) : reject(error)));
  });
}

function runAction(
  registry: ActionRegistry,
  action: ActionDefinition | undefined,
  requester: Connection | HttpRequester,
  socket: Connection | undefined,
  received: Params,
  state: ProcessorState,
  finish: OutcomeCallback,
): void {
  if (state.shuttingDown) return finish(undefined, failure(actionErrors.shuttingDown, "shutdown"));
  // Counted first, as in Actionhero: the (limit+1)th concurrent request fails.
  if (socket && socket.pendingActions > state.simultaneousActions) return finish(undefined, failure(actionErrors.tooManyPending, "busy"));
  if (!action) return finish(undefined, failure(actionErrors.unknownAction, "unknown"));
  if (action.blockedConnectionTypes?.includes(requester.type)) {
    return finish(undefined, failure(actionErrors.blockedType(requester.type), "invalid"));
  }
  // Only actions with middleware leave the plain path below (no promise, no allocation of ours).
  if (registry.hasMiddleware(action)) return runWithMiddleware(registry, action, requester, received, finish);
  let prepared: Params | Promise<Params>;
  try {
    prepared = prepareParams(action, received);
  } catch (error) {
    return invalidInput(error, finish);
  }
  if (!isThenable(prepared)) return execute(action, requester, prepared, finish);
  prepared.then(
    (params) => execute(action, requester, params, finish),
    (error: unknown) => invalidInput(error, finish),
  );
}

/** An InputError is the client's: a 422-like outcome. Anything else is ours: an error. */
function invalidInput(error: unknown, finish: OutcomeCallback): void {
  if (error instanceof InputError) finish(undefined, failure(error.message, "invalid"));
  else finish(error);
}

function execute(action: ActionDefinition, requester: Connection | HttpRequester, params: Params, finish: OutcomeCallback): void {
  const data: ActionData = { params, connection: requester, response: {}, toRender: true, actionTemplate: action };
  let returned: unknown;
  try {
    returned = action.run(data);
  } catch (error) {
    return finish(undefined, failed(data, error));
  }
  if (!isThenable(returned)) return complete(data, returned, finish);
  // Promise.resolve: a native promise passes through as is; another thenable is adopted.
  Promise.resolve(returned).then(
    (value) => complete(data, value, finish),
    (error: unknown) => finish(undefined, failed(data, error)),
  );
}

/** A returned object is merged into the response (a throwing getter fails the action). */
function complete(data: ActionData, returned: unknown, finish: OutcomeCallback): void {
  let outcome: ActionOutcome;
  try {
    let response = data.response;
    if (returned !== null && typeof returned === "object" && !Array.isArray(returned)) {
      // The usual action fills nothing and returns its response: use that object as is
      // (every caller copies it out anyway) rather than Object.assign into an empty one.
      if (isEmpty(response)) response = returned as Record<string, unknown>;
      else Object.assign(response, returned);
    }
    outcome = { response, toRender: data.toRender, kind: "ok" };
  } catch (error) {
    outcome = failed(data, error);
  }
  finish(undefined, outcome);
}

function isEmpty(value: object): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return true;
}

