// Primus 8 ships no types and @types/primus lacks Transformer.extend/custom transformers:
// declare only what we use.
declare module "primus" {
  import type { EventEmitter } from "node:events";
  import type { IncomingMessage, ServerResponse, Server as HttpServer } from "node:http";
  import type { Duplex } from "node:stream";

  namespace Primus {
    type Next = (err?: Error | null) => void;
    type Layer = (req: IncomingMessage, res: ServerResponse | Duplex, next: Next) => void;

    interface Spark extends EventEmitter {
      id: string;
      readyState: number;
      headers: Record<string, string | string[] | undefined>;
      address: { ip: string; port: number };
      query: Record<string, unknown>;
      request: IncomingMessage & { cookies?: Record<string, string>; signedCookies?: Record<string, string | false> };
      socket: unknown;
      /** Frames that arrived before the `connection` listeners finished (null after). */
      queue: unknown[] | null;
      write(data: unknown): boolean;
      end(data?: unknown, options?: { reconnect?: boolean }): void;
      emits(event: string, parser?: (next: (arg?: unknown) => void, ...args: unknown[]) => void): (...args: unknown[]) => void;
    }

    interface SparkConstructor {
      new (headers: unknown, address: unknown, query: unknown, id: string, request: unknown, socket: unknown): Spark;
      OPENING: number;
      CLOSED: number;
      OPEN: number;
    }

    interface TransformerInstance extends EventEmitter {
      primus: Primus;
      Spark: SparkConstructor;
      service: unknown;
      request(req: IncomingMessage, res: ServerResponse): void;
      upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
    }

    interface TransformerDefinition {
      server(this: TransformerInstance): void;
      client: (...args: unknown[]) => unknown;
      library?: string;
    }

    interface TransformerConstructor {
      extend(def: TransformerDefinition): TransformerConstructor;
    }

    interface Options {
      pathname?: string;
      parser?: string;
      transformer?: string | TransformerConstructor;
      pingInterval?: number | false;
      maxLength?: number;
      compression?: boolean;
      transport?: Record<string, unknown>;
      origins?: string;
      credentials?: boolean;
      authorization?: unknown;
      [key: string]: unknown;
    }
  }

  interface Primus extends EventEmitter {
    options: Primus.Options;
    pathname: string;
    connected: number;
    connections: Record<string, Primus.Spark>;
    transformer: Primus.TransformerInstance;
    encoder(data: unknown, fn: (err: Error | null, encoded?: string) => void): void;
    decoder(data: unknown, fn: (err: Error | null, decoded?: unknown) => void): void;
    transformers: { incoming: unknown[]; outgoing: unknown[] };
    Spark: Primus.SparkConstructor;
    readonly Socket: new (url: string, options?: Record<string, unknown>) => EventEmitter & { write(d: unknown): boolean; end(): void };
    library(nodejs?: boolean): string;
    use(name: string, fn: Primus.Layer, index?: number): Primus;
    /** A Primus plugin: `server(primus, options)` runs now; `client` goes into the client library. */
    plugin(name: string, energon: { server?: (primus: Primus, options: Primus.Options) => void; client?: (...args: unknown[]) => void; library?: string }): Primus;
    remove(name: string): Primus;
    indexOfLayer(name: string): number;
    authorize(fn: (req: IncomingMessage, done: (err?: Error & { statusCode?: number }) => void) => void): Primus;
    forEach(fn: (spark: Primus.Spark) => void): Primus;
    destroy(options?: { close?: boolean; reconnect?: boolean; timeout?: number }, fn?: () => void): void;
  }

  interface PrimusStatic {
    new (server: HttpServer | import("node:https").Server, options?: Primus.Options): Primus;
    Transformer: Primus.TransformerConstructor;
    createSocket(options?: Primus.Options): new (url: string, options?: Record<string, unknown>) => EventEmitter;
  }

  const Primus: PrimusStatic;
  export = Primus;
}
