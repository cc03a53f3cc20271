/**
 * How the campaign sender hands one message to SMTP: through an outbox deliverer (the `.eml`
 * default, or the SMTP agent of src/outbox/transports/smtp-agent.ts, which outlives a crash of
 * the sender so that no acceptance is ever unknown).
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
  constructor(private readonly d: Deliverer) {}
  async send(rowId: string, mail: OutgoingEmail): Promise<Record<string, unknown>> {
    const r = await this.d.deliver({ id: rowId, channel: 'email', payload: mail as unknown as Record<string, unknown>, messageId: mail.messageId, attempts: 1, inDoubt: false, result: null });
    return r.result ?? {};
  }
  idle(): void {
    this.d.idle?.();
  }
  async close(): Promise<void> {
    await this.d.close?.();
  }
}
