/**
 * How the campaign sender hands one message to SMTP. Two implementations with one shape:
 *
 * - `DelivererTransport` wraps an outbox deliverer in this process (the `.eml` default, tests).
 * - `SmtpAgentTransport` runs the pooled SMTP client in a helper process (smtp-agent-process.ts).
 *   The helper outlives a crash of the sender: when the sender dies (kill -9), the helper
 *   finishes the SMTP transactions it has started, journals every 250 it gets, and exits. While
 *   it lives it holds a database session under the sender's worker id, so nobody takes the
 *   rows back before the journal is complete. A kill -9 of the sender therefore never leaves a
 *   message whose acceptance is unknown; only a crash of the helper itself can (those rows are
 *   marked in doubt and resent with the same Message-ID).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Deliverer } from '../outbox/deliverer.ts';
import { DeliveryError } from '../outbox/delivery-error.ts';
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

type AgentReply = { id: number; ok: true; result: Record<string, unknown> } | { id: number; ok: false; message: string; permanent: boolean; code?: number };

export interface SmtpAgentOptions {
  smtpUrl: string;
  poolSize: number;
  journalFile: string;
  databaseUrl: string;
  /** The sender's worker id (its database application_name). */
  workerId: string;
}

export class SmtpAgentTransport implements CampaignTransport {
  private child!: ChildProcess;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private exited = false;

  private constructor(private readonly o: SmtpAgentOptions) {}

  static async start(o: SmtpAgentOptions): Promise<SmtpAgentTransport> {
    const t = new SmtpAgentTransport(o);
    await t.spawn();
    return t;
  }

  private spawn(): Promise<void> {
    const script = fileURLToPath(new URL('./smtp-agent-process.ts', import.meta.url));
    const tsx = import.meta.resolve('tsx');
    this.child = spawn(process.execPath, ['--import', tsx, script], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, MAILROOM_AGENT: JSON.stringify(this.o) },
      // Its own process group: a signal to the sender's group (Ctrl-C) still reaches it, via disconnect.
      detached: false,
    });
    this.child.on('exit', () => {
      this.exited = true;
      for (const w of this.waiting.values()) w.reject(new DeliveryError('smtp agent exited', false));
      this.waiting.clear();
    });
    return new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.on('message', (m: AgentReply | { ready: true }) => {
        if ('ready' in m) return resolve();
        const w = this.waiting.get(m.id);
        if (!w) return;
        this.waiting.delete(m.id);
        if (m.ok) w.resolve(m.result);
        else w.reject(Object.assign(new DeliveryError(m.message, m.permanent), { responseCode: m.code }));
      });
      this.child.once('exit', (code) => reject(new Error(`smtp agent exited early (${code})`)));
    });
  }

  send(rowId: string, mail: OutgoingEmail): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(new DeliveryError('smtp agent is not running', false));
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ id, rowId, mail });
    });
  }

  idle(): void {
    if (!this.exited) this.child.send({ idle: true });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.child.disconnect();
    await gone;
  }
}
