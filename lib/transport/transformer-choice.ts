/** Maps the `server.transformer` option to what Primus takes. */
import type Primus from "primus";
import { createSocketIoTransformer } from "./socket-io-transformer.js";

export function transformerFor(name: "socket.io" | "websockets" | "engine.io"): string | Primus.TransformerConstructor {
  return name === "socket.io" ? createSocketIoTransformer() : name;
}
