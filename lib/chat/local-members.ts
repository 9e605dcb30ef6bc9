/**
 * Which local connections are in which room, so a chat message walks only the members of
 * its room on this node, never every connection.
 */
import type { Connection } from "../connection/connection.js";

export class LocalMembers {
  readonly #rooms = new Map<string, Set<Connection>>();

  add(room: string, connection: Connection): void {
    let members = this.#rooms.get(room);
    if (!members) this.#rooms.set(room, (members = new Set()));
    members.add(connection);
  }

  remove(room: string, connection: Connection): void {
    const members = this.#rooms.get(room);
    if (!members) return;
    members.delete(connection);
    if (members.size === 0) this.#rooms.delete(room);
  }

  of(room: string): ReadonlySet<Connection> {
    return this.#rooms.get(room) ?? new Set();
  }

  get roomCount(): number {
    return this.#rooms.size;
  }
}
