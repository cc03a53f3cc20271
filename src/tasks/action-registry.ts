import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor, TaskRecord } from './task-types.ts';

/**
 * What runs when a task of an action kind is approved (or rejected). Handlers run inside the
 * transaction that records the decision, with its `em`: the domain change and the outbox rows
 * it writes commit together with the approval, or not at all.
 */
export type ActionHandler = (em: EntityManager, task: TaskRecord, actor: Actor) => Promise<void>;

export interface ActionRegistration {
  onApprove: ActionHandler;
  onReject?: ActionHandler;
  /**
   * The approval went stale and expired: put the record back where staff can ask again. An
   * action without one never expires (privacy approvals: their legal deadline has reminders).
   */
  onExpire?: ActionHandler;
}

export class ActionRegistry {
  private readonly handlers = new Map<string, ActionRegistration>();

  register(actionKind: string, onApprove: ActionHandler, opts: { onReject?: ActionHandler; onExpire?: ActionHandler } = {}): this {
    if (this.handlers.has(actionKind)) throw new Error(`an action handler for '${actionKind}' is already registered`);
    this.handlers.set(actionKind, { onApprove, onReject: opts.onReject, onExpire: opts.onExpire });
    return this;
  }

  has(actionKind: string): boolean {
    return this.handlers.has(actionKind);
  }

  /** True when approvals of this kind may expire (their action says what expiry means). */
  canExpire(actionKind: string): boolean {
    return !!this.handlers.get(actionKind)?.onExpire;
  }

  kinds(): string[] {
    return [...this.handlers.keys()];
  }

  async runApprove(actionKind: string, em: EntityManager, task: TaskRecord, actor: Actor): Promise<void> {
    const h = this.handlers.get(actionKind);
    if (!h) throw new Error(`no action handler registered for '${actionKind}'`);
    await h.onApprove(em, task, actor);
  }

  async runReject(actionKind: string, em: EntityManager, task: TaskRecord, actor: Actor): Promise<void> {
    await this.handlers.get(actionKind)?.onReject?.(em, task, actor);
  }

  async runExpire(actionKind: string, em: EntityManager, task: TaskRecord, actor: Actor): Promise<void> {
    await this.handlers.get(actionKind)?.onExpire?.(em, task, actor);
  }
}
