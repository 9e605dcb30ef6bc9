/** Applies an action's `inputs`: scrub, default, formatter, validator, required — Actionhero's order. */
import type { ActionDefinition, Params } from "./action.js";

/** Kept even when not declared as inputs (Actionhero's "global safe params"). */
const alwaysKept = new Set(["file", "apiVersion", "callback", "action", "messageId"]);
const missing = (v: unknown) => v === undefined || v === null || v === "";

/** Error thrown with the exact Actionhero message. */
export class InputError extends Error {}

function messageOf(result: unknown): string | undefined {
  if (result instanceof Error) return result.message;
  if (typeof result === "string") return result;
  return undefined;
}

/** Returns the params the action sees; throws InputError on the first failing input. */
export async function prepareParams(action: ActionDefinition, received: Params): Promise<Params> {
  const inputs = action.inputs ?? {};
  const params: Params = Object.create(null);
  for (const [key, value] of Object.entries(received)) {
    if (alwaysKept.has(key) || Object.hasOwn(inputs, key)) params[key] = value;
  }
  for (const [key, input] of Object.entries(inputs)) {
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
    if (input.required && missing(params[key])) {
      throw new InputError(`${key} is a required parameter for this action`);
    }
  }
  return params;
}
