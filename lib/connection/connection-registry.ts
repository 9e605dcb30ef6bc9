/** The connections of this node, by id. */
import type { Connection } from "./connection.js";

export class ConnectionRegistry extends Map<string, Connection> {
  /** Connections by transport name, for stats. */
  countByTransport(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const connection of this.values()) {
      counts[connection.transport] = (counts[connection.transport] ?? 0) + 1;
    }
    return counts;
  }
}
