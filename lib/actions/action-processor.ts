/**
 * Runs one action for a websocket connection or an HTTP request and shapes the result the
 * way Actionhero does: the response fields flat, `error` as a string without "Error: ".
 */
import type { ActionData, HttpRequester, Params } from "./action.js";
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
  /** Tracks in-flight work so close() can wait for it. */
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

export function processAction(
  registry: ActionRegistry,
  requester: Connection | HttpRequester,
  received: Params,
  state: ProcessorState,
): Promise<ActionOutcome> {
  const work = runAction(registry, requester, received, state);
  if (!state.recordAction) return work;
  return work.then((outcome) => {
    // Label with the registered name only: client-chosen names must not grow the metrics.
    state.recordAction?.(registry.get(received.action, received.apiVersion) ? String(received.action) : "unknown", outcome.kind);
    return outcome;
  });
}

async function runAction(
  registry: ActionRegistry,
  requester: Connection | HttpRequester,
  received: Params,
  state: ProcessorState,
): Promise<ActionOutcome> {
  const isSocket = requester instanceof Connection;
  if (isSocket) {
    requester.totalActions++;
    requester.pendingActions++;
  }
  try {
    if (state.shuttingDown) return failure(actionErrors.shuttingDown, "shutdown");
    // Counted first, as in Actionhero: the (limit+1)th concurrent request fails.
    if (isSocket && requester.pendingActions > state.simultaneousActions) {
      return failure(actionErrors.tooManyPending, "busy");
    }
    const action = registry.get(received.action, received.apiVersion);
    if (!action) return failure(actionErrors.unknownAction, "unknown");
    if (action.blockedConnectionTypes?.includes(requester.type)) {
      return failure(actionErrors.blockedType(requester.type), "invalid");
    }
    let params: Params;
    try {
      const prepared = prepareParams(action, received);
      params = isThenable(prepared) ? await prepared : prepared;
    } catch (error) {
      if (error instanceof InputError) return failure(error.message, "invalid");
      throw error;
    }
    const data: ActionData = { params, connection: requester, response: {}, toRender: true, actionTemplate: action };
    try {
      let returned = action.run(data);
      if (isThenable(returned)) returned = await returned;
      if (returned !== null && typeof returned === "object" && !Array.isArray(returned)) {
        Object.assign(data.response, returned);
      }
    } catch (error) {
      return { response: { ...data.response, error: errorValue(error) }, toRender: data.toRender, kind: "failed" };
    }
    return { response: data.response, toRender: data.toRender, kind: "ok" };
  } finally {
    if (isSocket) requester.pendingActions--;
  }
}

/** Awaiting only real promises saves a microtask hop per step on the request path. */
function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

function failure(error: string, kind: ActionOutcomeKind): ActionOutcome {
  return { response: { error }, toRender: true, kind };
}
