/** Applies an action's `inputs`: scrub, default, formatter, validator, required — Actionhero's order. */
import type { ActionDefinition, ActionInput, Params } from "./action.js";
import { prototypeFree } from "../connection/prototype-free.js";

/** Kept even when not declared as inputs (Actionhero's "global safe params"). */
const alwaysKept = new Set(["file", "apiVersion", "callback", "action", "messageId"]);
const missing = (v: unknown) => v === undefined || v === null || v === "";

/** Error thrown with the exact Actionhero message; `status` is Actionhero's `actionStatus` for it. */
export class InputError extends Error {
  constructor(message: string, readonly status: "missing_params" | "validator_errors" = "validator_errors") {
    super(message);
  }
}

function messageOf(result: unknown): string | undefined {
  if (result instanceof Error) return result.message;
  if (typeof result === "string") return result;
  return undefined;
}

/**
 * Returns the params the action sees; throws (or rejects with) an InputError on the first
 * failing input. Inputs without hooks are applied synchronously; from the first input with
 * a default function, formatter or validator on, the rest run in an async loop. So most
 * actions cost no promise here (this is on every request).
 */
export function prepareParams(action: ActionDefinition, received: Params): Params | Promise<Params> {
  const inputs = action.inputs ?? {};
  const params: Params = prototypeFree();
  for (const key in received) {
    if (alwaysKept.has(key) || Object.hasOwn(inputs, key)) params[key] = received[key];
  }
  const keys = Object.keys(inputs);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const input = inputs[key];
    if (typeof input.default === "function" || input.formatter || input.validator) return applyWithHooks(inputs, keys.slice(i), params);
    if (params[key] === undefined && input.default !== undefined) params[key] = input.default;
    checkRequired(key, input, params);
  }
  return params;
}

async function applyWithHooks(inputs: Record<string, ActionInput>, keys: string[], params: Params): Promise<Params> {
  for (const key of keys) {
    const input = inputs[key];
    if (params[key] === undefined && input.default !== undefined) {
      params[key] = typeof input.default === "function" ? await (input.default as (p: Params) => unknown)(params) : input.default;
    }
    if (params[key] !== undefined && input.formatter) {
      try {
        params[key] = await input.formatter(params[key], params);
      } catch (error) {
        throw new InputError(messageOf(error) ?? String(error));
      }
    }
    if (params[key] !== undefined && input.validator) {
      let result: unknown;
      try {
        result = await input.validator(params[key], params);
      } catch (error) {
        throw new InputError(messageOf(error) ?? String(error));
      }
      if (result === false) throw new InputError(`Input for parameter "${key}" failed validation!`);
      const message = messageOf(result);
      if (message !== undefined) throw new InputError(message);
    }
    checkRequired(key, input, params);
  }
  return params;
}

function checkRequired(key: string, input: ActionInput, params: Params): void {
  if (input.required && missing(params[key])) throw new InputError(`${key} is a required parameter for this action`, "missing_params");
}
