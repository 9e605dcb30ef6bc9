/**
 * Actions running on this node: the action processor brackets each run (and its reply)
 * with begin()/end(), close() waits for idle(). A count, not a set: nothing to allocate
 * per request.
 */
import type { ActionOutcomeKind, ProcessorState } from "./action-processor.js";

export class ActionsInFlight implements ProcessorState {
  #count = 0;
  readonly #idleWaiters: Array<() => void> = [];

  constructor(
    readonly simultaneousActions: number,
    private readonly isShuttingDown: () => boolean,
    private readonly record: (action: string, kind: ActionOutcomeKind) => void,
  ) {}

  get shuttingDown(): boolean {
    return this.isShuttingDown();
  }

  get inFlight(): number {
    return this.#count;
  }

  begin(): void {
    this.#count++;
  }

  end(): void {
    if (--this.#count === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  recordAction(action: string, kind: ActionOutcomeKind): void {
    this.record(action, kind);
  }

  /** Resolves when no action is running, or after `timeoutMs` (one still running then does not hold the caller). */
  async idle(timeoutMs: number): Promise<void> {
    if (this.#count === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([new Promise<void>((resolve) => this.#idleWaiters.push(resolve)), deadline]);
    clearTimeout(timer);
  }
}
