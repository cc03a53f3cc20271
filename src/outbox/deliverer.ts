export interface DeliveryResult {
  /** Stored on the row; e.g. the SMTP reply or a Slack message timestamp. */
  result?: Record<string, unknown>;
}

export interface ClaimedRow {
  id: string;
  channel: string;
  payload: Record<string, unknown>;
  messageId: string | null;
  attempts: number;
  /** True when an earlier attempt may have landed (its dispatcher died mid-send). */
  inDoubt: boolean;
  result: Record<string, unknown> | null;
}

/** One per outbox channel (email, slack): the dispatcher never knows which is behind it. */
export interface Deliverer {
  deliver(row: ClaimedRow): Promise<DeliveryResult>;
  /**
   * Deliveries this deliverer takes at once. Unset: the dispatcher's `concurrency`. A deliverer
   * that queues on its own (the SMTP agent's pool) takes a whole batch.
   */
  readonly maxInFlight?: number;
  /** Called when every row handed over so far has its outcome recorded in the database. */
  idle?(): void;
  close?(): Promise<void>;
}
