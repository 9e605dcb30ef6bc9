/** The Primus spark behind a connection of this node (tests look below the transport). */
import type Primus from "primus";
import { transportOf, type Connection } from "../../lib/connection/connection.js";
import { SparkTransport } from "../../lib/transport/spark-transport.js";

export function sparkFor(connection: Connection): Primus.Spark | undefined {
  const transport = connection[transportOf];
  return transport instanceof SparkTransport ? transport.spark : undefined;
}
