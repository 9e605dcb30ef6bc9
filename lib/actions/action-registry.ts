/** Actions by name and version (the newest answers when none is asked for), and their middleware. */
import { actionDefinitionProblem, type ActionDefinition } from "./action.js";
import { ActionMiddlewareList, type ActionMiddleware } from "./action-middleware.js";

export class ActionRegistry {
  readonly #middleware: ActionMiddlewareList;
  readonly #byName = new Map<string, Map<number, ActionDefinition>>();
  /** The newest version of each name, kept on add/remove: looked up on every request. */
  readonly #latest = new Map<string, ActionDefinition>();

  /** `defaultMiddlewarePriority`: the priority of middleware that names none. */
  constructor(defaultMiddlewarePriority: number) {
    this.#middleware = new ActionMiddlewareList(defaultMiddlewarePriority);
  }

  /**
   * Adds (or replaces) an action; throws on a malformed definition. Middleware names it
   * lists may be added later (as in Actionhero, where actions load before middleware);
   * until they are, running the action fails with an error naming the missing one.
   */
  add(action: ActionDefinition): void {
    const problem = actionDefinitionProblem(action);
    if (problem) {
      const named = typeof action?.name === "string" && action.name !== "";
      throw new TypeError(`actionhero-ws: ${named ? `action "${action.name}": ` : "an action "}${problem}`);
    }
    this.#middleware.forget(action);
    const version = action.version ?? 1;
    let versions = this.#byName.get(action.name);
    if (!versions) this.#byName.set(action.name, (versions = new Map()));
    versions.set(version, action);
    let newest = -Infinity;
    for (const v of versions.keys()) if (v > newest) newest = v;
    this.#latest.set(action.name, versions.get(newest)!);
  }

  remove(name: string): boolean {
    this.#latest.delete(name);
    return this.#byName.delete(name);
  }

  /** The action for a name and optional version, or undefined. */
  get(name: unknown, apiVersion?: unknown): ActionDefinition | undefined {
    if (typeof name !== "string") return undefined;
    if (apiVersion === undefined || apiVersion === null || apiVersion === "") return this.#latest.get(name);
    return this.#byName.get(name)?.get(Number(apiVersion));
  }

  /** Actionhero's documentation shape: `{name: {version: {name, version, description, inputs}}}`. */
  documentation(): Record<string, Record<string, unknown>> {
    const docs: Record<string, Record<string, unknown>> = {};
    for (const [name, versions] of this.#byName) {
      docs[name] = {};
      for (const [version, action] of versions) {
        const inputs: Record<string, unknown> = {};
        for (const [key, input] of Object.entries(action.inputs ?? {})) {
          inputs[key] = {
            required: !!input.required,
            ...(input.default !== undefined && typeof input.default !== "function" ? { default: input.default } : {}),
          };
        }
        docs[name][String(version)] = { name, version, description: action.description ?? "", inputs };
      }
    }
    return docs;
  }

  /** Adds (or replaces, by name) an action middleware; throws a TypeError on a malformed one. */
  addMiddleware(middleware: ActionMiddleware): void {
    this.#middleware.add(middleware);
  }

  /** Removes an action middleware by name; returns whether it existed. */
  removeMiddleware(name: string): boolean {
    return this.#middleware.remove(name);
  }

  /** The registered middleware by name (a copy), or undefined. */
  getMiddleware(name: string): ActionMiddleware | undefined {
    return this.#middleware.get(name);
  }

  middlewareNames(): string[] {
    return this.#middleware.names();
  }

  /** @internal Whether any middleware may run for the action (checked on every action). */
  hasMiddleware(action: ActionDefinition): boolean {
    return this.#middleware.appliesTo(action);
  }

  /** @internal The action's middleware in running order; throws when it lists an unregistered name. */
  middlewareChain(action: ActionDefinition): readonly ActionMiddleware[] {
    return this.#middleware.chainFor(action);
  }

  get size(): number {
    return this.#byName.size;
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }
}
