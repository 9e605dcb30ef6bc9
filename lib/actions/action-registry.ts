/** Actions by name and version; the newest version answers when none is asked for. */
import { actionDefinitionProblem, type ActionDefinition } from "./action.js";

export class ActionRegistry {
  readonly #byName = new Map<string, Map<number, ActionDefinition>>();
  /** The newest version of each name, kept on add/remove: looked up on every request. */
  readonly #latest = new Map<string, ActionDefinition>();

  /** Adds (or replaces) an action; throws on a malformed definition. */
  add(action: ActionDefinition): void {
    const problem = actionDefinitionProblem(action);
    if (problem) throw new TypeError(`actionhero-ws: an action ${problem}`);
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

  get size(): number {
    return this.#byName.size;
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }
}
