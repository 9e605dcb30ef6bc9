/** Actions by name and version; the newest version answers when none is asked for. */
import type { ActionDefinition } from "./action.js";

export class ActionRegistry {
  readonly #byName = new Map<string, Map<number, ActionDefinition>>();

  /** Adds (or replaces) an action; throws on a malformed definition. */
  add(action: ActionDefinition): void {
    if (!action || typeof action.name !== "string" || action.name === "" || typeof action.run !== "function") {
      throw new TypeError("actionhero-ws: an action needs a non-empty string `name` and a `run` function");
    }
    const version = action.version ?? 1;
    let versions = this.#byName.get(action.name);
    if (!versions) this.#byName.set(action.name, (versions = new Map()));
    versions.set(version, action);
  }

  remove(name: string): boolean {
    return this.#byName.delete(name);
  }

  /** The action for a name and optional version, or undefined. */
  get(name: unknown, apiVersion?: unknown): ActionDefinition | undefined {
    if (typeof name !== "string") return undefined;
    const versions = this.#byName.get(name);
    if (!versions) return undefined;
    if (apiVersion === undefined || apiVersion === null || apiVersion === "") {
      // A loop, not Math.max(...keys()): this runs for every action request.
      let latest = -Infinity;
      for (const version of versions.keys()) if (version > latest) latest = version;
      return versions.get(latest);
    }
    return versions.get(Number(apiVersion));
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
