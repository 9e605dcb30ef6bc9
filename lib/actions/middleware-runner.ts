/**
 * The run of an action that has middleware, in Actionhero's order: preProcessors on the
 * params as received, then the inputs, then `run`, then postProcessors. Only actions with
 * middleware come here, so this path may use promises freely; the plain path in
 * action-processor.ts stays synchronous when nothing is asynchronous.
 */
import type { ActionDefinition, HttpRequester, Params } from "./action.js";
import type { ActionRegistry } from "./action-registry.js";
import type { ActionMiddleware, ActionProcessorData, ActionStatus } from "./action-middleware.js";
import { failed, isThenable, type ActionOutcome, type OutcomeCallback } from "./action-outcome.js";
import { InputError, prepareParams } from "./input-validation.js";
import { prototypeFree } from "../connection/prototype-free.js";
import { Connection } from "../connection/connection.js";

/** Calls `finish` once, from a promise reaction; an error that is not the action's own (as on the plain path) is passed on as such. */
export function runWithMiddleware(
  registry: ActionRegistry,
  action: ActionDefinition,
  requester: Connection | HttpRequester,
  received: Params,
  finish: OutcomeCallback,
): void {
  const data: ActionProcessorData = {
    connection: requester,
    action: action.name,
    actionTemplate: action,
    params: receivedParams(action, received),
    response: {},
    toRender: true,
    toProcess: true,
    messageId: requester instanceof Connection ? requester.messageId : 0,
    actionStartTime: Date.now(),
    duration: null,
    actionStatus: null,
    session: {},
  };
  process(registry, data).then(
    (outcome) => finish(undefined, outcome),
    (error: unknown) => finish(error),
  );
}

/**
 * What preProcessors see: a copy of the received params with `action` and `apiVersion`
 * (the version that answers), unscrubbed; the inputs are applied to it afterwards, so a
 * preProcessor can add or change params the action declares.
 */
function receivedParams(action: ActionDefinition, received: Params): Params {
  const params = prototypeFree();
  params.action = action.name;
  params.apiVersion = null;
  for (const key in received) params[key] = received[key];
  if (params.apiVersion === null || params.apiVersion === undefined || params.apiVersion === "") params.apiVersion = action.version ?? 1;
  return params;
}

async function process(registry: ActionRegistry, data: ActionProcessorData): Promise<ActionOutcome> {
  const action = data.actionTemplate;
  let chain: readonly ActionMiddleware[];
  try {
    chain = registry.middlewareChain(action);
    for (const middleware of chain) {
      const result = middleware.preProcessor?.(data);
      if (isThenable(result)) await result;
    }
  } catch (error) {
    return completed(data, "generic_error", failed(data, error));
  }

  try {
    const prepared = prepareParams(action, data.params);
    data.params = isThenable(prepared) ? await prepared : prepared;
  } catch (error) {
    // As on the plain path: a bad input is the client's (422-like); anything else is ours.
    if (!(error instanceof InputError)) throw error;
    const outcome: ActionOutcome = { response: { ...data.response, error: error.message }, toRender: data.toRender, kind: "invalid" };
    return completed(data, error.status, outcome);
  }

  // A preProcessor that answered by itself: no run, no postProcessors (as in Actionhero).
  if (!data.toProcess) return completed(data, "complete", { response: data.response, toRender: data.toRender, kind: "ok" });

  try {
    let returned = action.run(data);
    if (isThenable(returned)) returned = await returned;
    if (returned !== null && typeof returned === "object" && !Array.isArray(returned)) Object.assign(data.response, returned);
    for (const middleware of chain) {
      const result = middleware.postProcessor?.(data);
      if (isThenable(result)) await result;
    }
  } catch (error) {
    return completed(data, "generic_error", failed(data, error));
  }
  return completed(data, "complete", { response: data.response, toRender: data.toRender, kind: "ok" });
}

/** Actionhero sets these when the action completes, after the postProcessors. */
function completed(data: ActionProcessorData, status: ActionStatus, outcome: ActionOutcome): ActionOutcome {
  data.actionStatus = status;
  data.duration = Date.now() - data.actionStartTime;
  return outcome;
}
