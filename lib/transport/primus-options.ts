/** The Primus options built from ours: shared by the server and the client generator. */
import type Primus from "primus";
import type { ResolvedOptions } from "../options.js";

export function primusOptions(options: ResolvedOptions, transformer: string | Primus.TransformerConstructor): Primus.Options {
  const s = options.server;
  return {
    pathname: s.pathname,
    parser: s.parser,
    transformer,
    pingInterval: s.pingInterval,
    maxLength: s.maxLength,
    compression: s.compression,
    transport: { ...s.transport },
    // Our origin layer replaces Primus's CORS; these only matter if someone re-adds it.
    origins: "",
    credentials: false,
    iknowclusterwillbreakconnections: true,
  };
}
