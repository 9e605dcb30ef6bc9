/** Actionhero-shaped action definitions. */
import type { ServerResponse } from "node:http";
import type { Connection } from "../connection/connection.js";
import type { HandshakeRequest } from "../connection/connection-middleware.js";

export type Params = Record<string, unknown>;

export interface ActionInput {
  required?: boolean;
  /** A value, or a function of the params computing it. */
  default?: unknown;
  /** false -> `Input for parameter "<key>" failed validation!`; a string/Error or a throw -> that message. */
  validator?: (value: unknown, params: Params) => unknown;
  /** Runs before the validator; its return value replaces the param. */
  formatter?: (value: unknown, params: Params) => unknown;
}

/** Who called: a websocket connection, or an HTTP request to `apiPath`. */
export interface HttpRequester {
  id: string;
  type: "web";
  fingerprint: string;
  remoteIP: string;
  remotePort: number | string;
  /**
   * The HTTP request and response (Actionhero's `rawConnection`): what the app's Express
   * middleware put on the request (`req.session`, `req.user`) is there for preProcessors.
   */
  rawConnection: { req: HandshakeRequest; res: ServerResponse };
}

export interface ActionData {
  params: Params;
  connection: Connection | HttpRequester;
  /** Fill this in (or return an object to merge into it). */
  response: Record<string, unknown>;
  /** Set false to send nothing back. */
  toRender: boolean;
  actionTemplate: ActionDefinition;
  /**
   * Actionhero's free space for action middleware to hand values to `run` (e.g. the user a
   * preProcessor authenticated). Present, starting as `{}`, when middleware applies to the action.
   */
  session?: Record<string, unknown>;
}

export interface ActionDefinition {
  name: string;
  description?: string;
  version?: number;
  inputs?: Record<string, ActionInput>;
  /** Connection types ("websocket", "web") this action refuses. */
  blockedConnectionTypes?: string[];
  /**
   * Names of non-global action middleware for this action (`ws.actions.addMiddleware`); they
   * run after the global ones, in this order. A name may be added after the action is.
   */
  middleware?: string[];
  run(data: ActionData): unknown;
}

/** Why `value` is not an action definition, or undefined when it is one (the one check, for options and registry). */
export function actionDefinitionProblem(value: unknown): string | undefined {
  const action = value as Partial<ActionDefinition> | null;
  const shape = "must be {name: string, run: function}";
  if (typeof action !== "object" || action === null || Array.isArray(action)) return shape;
  if (typeof action.name !== "string" || action.name === "") return `${shape}: \`name\` is missing or empty`;
  if (typeof action.run !== "function") return `${shape}: \`run\` is not a function`;
  const names: unknown = action.middleware;
  if (names !== undefined && (!Array.isArray(names) || !names.every((n) => typeof n === "string" && n !== ""))) {
    return "`middleware` must be an array of middleware names";
  }
  return undefined;
}
