/** The actions Actionhero's own websocket tests use, rebuilt for ours. */
import type { ActionDefinition } from "../../lib/index.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cache = new Map<string, unknown>();

export const randomNumber: ActionDefinition = {
  name: "randomNumber",
  description: "I am an API method which will generate a random number",
  run: async ({ response }) => {
    const n = Math.random();
    response.randomNumber = n;
    response.stringRandomNumber = `Your random number is ${n}`;
  },
};

export const cacheTest: ActionDefinition = {
  name: "cacheTest",
  description: "stores and reads back a value",
  inputs: {
    key: { required: true, formatter: (v) => String(v).toLowerCase() },
    value: { required: true, validator: (v) => (String(v).length < 100 ? true : "value too long") },
  },
  run: async ({ params }) => {
    cache.set(params.key as string, params.value);
    return { cacheTestResults: { saveResp: true, loadResp: { key: params.key, value: cache.get(params.key as string) } } };
  },
};

export const sleepTest: ActionDefinition = {
  name: "sleepTest",
  inputs: { sleepDuration: { required: true, default: 100, formatter: (v) => Number(v) } },
  run: async ({ params, response }) => {
    const started = Date.now();
    await sleep(params.sleepDuration as number);
    Object.assign(response, { sleepStarted: started, sleepEnded: Date.now(), sleepDelta: Date.now() - started, sleepDuration: params.sleepDuration });
  },
};

export const echoParams: ActionDefinition = {
  name: "echoParams",
  inputs: { anything: { required: false }, nested: { required: false } },
  run: async ({ params, connection }) => ({
    params: { ...params },
    prototypePolluted: ({} as Record<string, unknown>).isAdmin !== undefined,
    paramsIsAdmin: (params as Record<string, unknown>).isAdmin ?? null,
    connectionType: connection.type,
  }),
};

export const failing: ActionDefinition = {
  name: "failing",
  inputs: { kind: { required: false, default: "error" } },
  run: async ({ params }) => {
    if (params.kind === "string") throw "a thrown string";
    if (params.kind === "object") throw { code: 42, reason: "object" };
    throw new Error("something broke");
  },
};

export const validated: ActionDefinition = {
  name: "validated",
  inputs: { n: { required: true, validator: (v) => Number(v) > 0 } },
  run: async ({ params }) => ({ n: params.n }),
};

export const silent: ActionDefinition = {
  name: "silent",
  run: async (data) => {
    data.toRender = false;
  },
};

export const webOnly: ActionDefinition = {
  name: "webOnly",
  blockedConnectionTypes: ["websocket"],
  run: async () => ({ ok: true }),
};

export const allTestActions = [randomNumber, cacheTest, sleepTest, echoParams, failing, validated, silent, webOnly];
