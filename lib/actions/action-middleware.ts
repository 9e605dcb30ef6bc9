/**
 * Action middleware with Actionhero's semantics: global middleware runs for every action,
 * sorted by priority (lower first; equal priorities in the order they were added), then
 * the action's own `middleware` names in the order it lists them. preProcessors run before
 * the inputs are applied, postProcessors after `run`; both get the processor's `data`.
 */
import type { ActionData, ActionDefinition } from "./action.js";
import type { MessageId } from "../connection/connection.js";

/** Actionhero's `actionStatus` values for an action that reached its middleware. */
export type ActionStatus = "complete" | "generic_error" | "missing_params" | "validator_errors";

/** The `data` middleware and `run` see when middleware applies to the action. */
export interface ActionProcessorData extends ActionData {
  /** The action's name. */
  action: string;
  /** The frame's `messageId` when the action started (websocket); `0` over HTTP. */
  messageId: MessageId;
  /** `Date.now()` when the action started. */
  actionStartTime: number;
  /** Milliseconds the action took: set when it completes, after the postProcessors. */
  duration: number | null;
  /** How it ended: set when it completes, after the postProcessors. */
  actionStatus: ActionStatus | null;
  /** A preProcessor may set this false: `run` and the postProcessors are skipped, the response is sent. */
  toProcess: boolean;
  session: Record<string, unknown>;
}

/** A processor may be sync or async; a throw (or rejection) fails the action. Its return value is ignored. */
export type ActionMiddlewareFunction = (data: ActionProcessorData) => unknown;

export interface ActionMiddleware {
  /** Unique name; an action lists non-global middleware by it. Adding a name again replaces it. */
  name: string;
  /** true: applies to every action. */
  global?: boolean;
  /** Lower runs first; missing (or 0, as in Actionhero) means `defaultMiddlewarePriority`. Orders global middleware. */
  priority?: number;
  /** Before the inputs are applied: `data.params` are the params as received. */
  preProcessor?: ActionMiddlewareFunction;
  /** After `run` succeeded: may change `data.response` or set `data.toRender = false`. */
  postProcessor?: ActionMiddlewareFunction;
}

interface Entry extends ActionMiddleware {
  priority: number;
  /** Insertion order, so equal priorities keep the order they were added in. */
  order: number;
}

const prefix = "actionhero-ws: ";

/** Checks a definition as Actionhero's `addMiddleware` would, plus the processors' types. */
function check(middleware: ActionMiddleware): void {
  if (typeof middleware !== "object" || middleware === null || typeof middleware.name !== "string" || middleware.name === "") {
    throw new TypeError(`${prefix}middleware.name is required (a non-empty string)`);
  }
  const { name, priority, preProcessor, postProcessor } = middleware;
  if (priority !== undefined && !Number.isFinite(priority)) {
    throw new TypeError(`${prefix}action middleware "${name}": priority must be a number`);
  }
  for (const [key, fn] of [["preProcessor", preProcessor], ["postProcessor", postProcessor]] as const) {
    if (fn !== undefined && typeof fn !== "function") throw new TypeError(`${prefix}action middleware "${name}": ${key} must be a function`);
  }
  if (!preProcessor && !postProcessor) {
    throw new TypeError(`${prefix}action middleware "${name}" needs a preProcessor or a postProcessor`);
  }
}

export class ActionMiddlewareList {
  readonly #byName = new Map<string, Entry>();
  /** Global entries, sorted: read on every action, so kept ready. */
  #global: Entry[] = [];
  /** Each action's resolved chain; dropped whenever the middleware changes. */
  #chains = new WeakMap<ActionDefinition, readonly Entry[]>();
  #added = 0;

  constructor(private readonly defaultPriority: number) {}

  add(middleware: ActionMiddleware): void {
    check(middleware);
    const entry: Entry = {
      ...middleware,
      // `||` rather than `??`: Actionhero treats priority 0 as "none given" too.
      priority: middleware.priority || this.defaultPriority,
      order: this.#added++,
    };
    this.#byName.set(entry.name, entry);
    this.#changed();
  }

  /** Removes a middleware; actions still listing its name then fail until it is added again. */
  remove(name: string): boolean {
    const removed = this.#byName.delete(name);
    if (removed) this.#changed();
    return removed;
  }

  get(name: string): ActionMiddleware | undefined {
    const entry = this.#byName.get(name);
    if (!entry) return undefined;
    const { order: _order, ...middleware } = entry;
    return middleware;
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }

  /** Whether any middleware may run for this action: the one check on the plain action path. */
  appliesTo(action: ActionDefinition): boolean {
    return this.#global.length > 0 || (action.middleware !== undefined && action.middleware.length > 0);
  }

  /**
   * The middleware for an action, in running order. Throws when the action lists a name
   * that is not registered: the action then fails with that error instead of running
   * without a middleware it counts on (which may be its authentication).
   */
  chainFor(action: ActionDefinition): readonly ActionMiddleware[] {
    const cached = this.#chains.get(action);
    if (cached) return cached;
    const chain = this.#global.slice();
    for (const name of action.middleware ?? []) {
      const entry = this.#byName.get(name);
      if (!entry) throw new Error(`action middleware "${name}" (listed by action "${action.name}") is not registered`);
      // A global middleware listed again by an action runs once (Actionhero would run it twice).
      if (!chain.includes(entry)) chain.push(entry);
    }
    this.#chains.set(action, chain);
    return chain;
  }

  /** Drops an action's cached chain (the action was added again, perhaps with other names). */
  forget(action: ActionDefinition): void {
    this.#chains.delete(action);
  }

  #changed(): void {
    this.#global = [...this.#byName.values()].filter((m) => m.global === true).sort((a, b) => a.priority - b.priority || a.order - b.order);
    this.#chains = new WeakMap();
  }
}
