/**
 * What an action run ends with, and the small helpers both the plain path
 * (action-processor.ts) and the middleware path (middleware-runner.ts) shape it with.
 */
import type { ActionData } from "./action.js";

export type ActionOutcomeKind = "ok" | "unknown" | "invalid" | "busy" | "failed" | "shutdown";

export interface ActionOutcome {
  /** Response fields, plus `error` when it failed. */
  response: Record<string, unknown>;
  /** false when the action set `toRender = false`: send nothing. */
  toRender: boolean;
  kind: ActionOutcomeKind;
}

/** Called once with the outcome, or with an error that is not the action's own. */
export type OutcomeCallback = (error: unknown, outcome?: ActionOutcome) => void;

/** A thrown Error becomes its message, a string stays, any other value is sent as is. */
export function errorValue(error: unknown): unknown {
  if (error instanceof Error) return error.message;
  return error;
}

/** The action (or its middleware) threw: what it had put in the response, plus `error`. */
export function failed(data: ActionData, error: unknown): ActionOutcome {
  return { response: { ...data.response, error: errorValue(error) }, toRender: data.toRender, kind: "failed" };
}

export function failure(error: string, kind: ActionOutcomeKind): ActionOutcome {
  return { response: { error }, toRender: true, kind };
}

/** Awaiting only real promises saves a microtask hop per step on the request path. */
export function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}
