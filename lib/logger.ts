/**
 * Silent by default. `DEBUG=actionhero-ws` (or `actionhero-ws:*`) prints to stderr; an
 * injected pino-shaped logger receives everything instead. Message bodies and cookies are
 * never logged above debug.
 */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

const levels = ["debug", "info", "warn", "error"] as const;

function debugEnabled(): boolean {
  const flag = process.env.DEBUG ?? "";
  return flag.split(/[\s,]+/).some((ns) => ns === "*" || ns === "actionhero-ws" || ns.startsWith("actionhero-ws:"));
}

export function createLogger(injected: Logger | undefined): Logger {
  if (injected) return injected;
  const enabled = debugEnabled();
  const write = (level: string) => (obj: object | string, msg?: string) => {
    if (!enabled) return;
    const text = typeof obj === "string" ? obj : `${msg ?? ""} ${JSON.stringify(obj)}`;
    process.stderr.write(`actionhero-ws ${level}: ${text}\n`);
  };
  const logger = {} as Logger;
  for (const level of levels) logger[level] = write(level);
  return logger;
}
