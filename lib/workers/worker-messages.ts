/** The IPC messages between the primary and its workers (besides handed connections). */

/** The environment variable that tells a forked worker its index (kept by its replacement). */
export const workerIndexEnv = "ACTIONHERO_WS_WORKER_INDEX";

export type WorkerReport =
  | { type: "actionhero-ws:ready"; index: number }
  | { type: "actionhero-ws:failed"; error: string };

export type PrimaryCommand = { type: "actionhero-ws:shutdown" };

export function isWorkerReport(message: unknown): message is WorkerReport {
  const type = (message as WorkerReport | null)?.type;
  return type === "actionhero-ws:ready" || type === "actionhero-ws:failed";
}

export function isPrimaryCommand(message: unknown): message is PrimaryCommand {
  return (message as PrimaryCommand | null)?.type === "actionhero-ws:shutdown";
}
