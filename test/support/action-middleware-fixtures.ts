/** Actions and helpers shared by the action middleware tests. */
import type { ActionDefinition, ActionheroWs, ActionProcessorData } from "../../lib/index.js";
import { randomNumber } from "../support/test-actions.js";

/** How many times each fixture action's `run` was called (to see that a blocked one was not). */
export const runs = new Map<string, number>();
const ran = (name: string) => runs.set(name, (runs.get(name) ?? 0) + 1);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Appends `label` to `data.response.trail`, the order processors ran in. */
export function mark(data: ActionProcessorData, label: string): void {
  const trail = (data.response.trail as string[] | undefined) ?? [];
  data.response.trail = [...trail, label];
}

/** An action template with a property of the application's own, read by middleware. */
export const authAction: ActionDefinition & { authenticated: boolean } = {
  name: "authAction",
  authenticated: true,
  run: ({ response, session }) => {
    ran("authAction");
    response.thing = "stuff";
    response.sessionSeen = session ?? null;
  },
};

export const counted: ActionDefinition = {
  name: "counted",
  version: 2,
  inputs: { max: { required: false, default: 1, formatter: Number, validator: (n) => (Number(n) > 0 ? true : "max must be positive") } },
  run: ({ params }) => {
    ran("counted");
    return { max: params.max, keys: Object.keys(params).sort(), apiVersion: params.apiVersion };
  },
};

export const required: ActionDefinition = {
  name: "required",
  inputs: { who: { required: true } },
  run: ({ params }) => {
    ran("required");
    return { who: params.who };
  },
};

export const guarded: ActionDefinition = {
  name: "guarded",
  middleware: ["local one"],
  run: () => {
    ran("guarded");
    return { ran: true };
  },
};

/** Lists its own middleware out of priority order: they run after the globals, as listed. */
export const ordered: ActionDefinition = {
  name: "ordered",
  middleware: ["local b", "local a"],
  run: (data) => {
    ran("ordered");
    mark(data as ActionProcessorData, "run");
  },
};

export const throwsInRun: ActionDefinition = {
  name: "throwsInRun",
  run: ({ response }) => {
    ran("throwsInRun");
    response.partial = true;
    throw new Error("run failed");
  },
};

export const middlewareActions: ActionDefinition[] = [randomNumber, authAction, counted, required, guarded, ordered, throwsInRun];

/** Removes every action middleware (between tests, as Actionhero's suite resets its list). */
export function removeAllMiddleware(ws: ActionheroWs): void {
  for (const name of ws.actions.middlewareNames()) ws.actions.removeMiddleware(name);
}
