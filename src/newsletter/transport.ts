/**
 * How the campaign sender hands one message to SMTP: through an outbox deliverer (the `.eml`
 * default, or the daemon's one SMTP agent of src/outbox/transports/smtp-agent.ts, which outlives
 * a crash of the daemon so that no acceptance is ever unknown).
 */
import type { Deliverer } from '../outbox/deliverer.ts';
import type { OutgoingEmail } from '../outbox/outgoing-email.ts';

export interface CampaignTransport {
  send(rowId: string, mail: OutgoingEmail): Promise<Record<string, unknown>>;
  /** Every row handed over so far has its outcome in the database. */
  idle?(): void;
  close(): Promise<void>;
}

export class DelivererTransport implements CampaignTransport {
  /** `shared`: the deliverer also serves the outbox, and its owner (the daemon) closes it. */
  constructor(
    private readonly d: Deliverer,
    private readonly opts: { shared?: boolean } = {},
  ) {}
  async send(rowId: string, mail: OutgoingEmail): Promise<Record<string, unknown>> {
    const r = await this.d.deliver({ id: rowId, channel: 'email', payload: mail as unknown as Record<string, unknown>, messageId: mail.messageId, attempts: 1, inDoubt: false, result: null });
    return r.result ?? {};
  }
  idle(): void {
    this.d.idle?.();
  }
  async close(): Promise<void> {
    if (!this.opts.shared) await this.d.close?.();
  }
}
