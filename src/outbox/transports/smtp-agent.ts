/**
 * Pooled SMTP in a helper process (smtp-agent-process.ts) that outlives a crash of the process
 * that claims the rows.
 *
 * When the dispatcher dies (kill -9), the agent notices the IPC channel close, finishes the SMTP
 * transactions it has started, journals every 250 it gets (delivery-journal.ts), and exits.
 * While it lives it holds a database session under the dispatcher's worker id, so no other
 * dispatcher takes those rows back before the journal is complete. With `rows` set, it then
 * writes those fates to the database itself (agent-handover-store.ts), which any host can read; the
 * journal still serves recovery on the same host. A kill of the dispatcher therefore never
 * leaves a message whose acceptance is unknown: accepted rows are marked sent and the rest,
 * which the peer never took, are sent again. Only a crash of the agent itself
 * (OOM, a kill of the whole process group) can leave rows in doubt; those are resent with the
 * same Message-ID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClaimedRow, Deliverer, DeliveryResult } from '../deliverer.ts';
import { DeliveryError } from '../../queue/delivery-error.ts';
import type { OutgoingEmail } from '../outgoing-email.ts';
import type { HandoverTable } from './agent-handover-store.ts';

type AgentReply = { id: number; ok: true; result: Record<string, unknown> } | { id: number; ok: false; message: string; permanent: boolean; code?: number };

export interface SmtpAgentOptions {
  smtpUrl: string;
  poolSize: number;
  journalFile: string;
  databaseUrl: string;
  /** The dispatcher's worker id (its database application_name). */
  workerId: string;
  /**
   * The tables whose rows this agent sends (keyed as agent-handover-store.ts says): when the claimer
   * dies, the agent itself records which of them the peer accepted, so no other host has to guess.
   */
  rows?: HandoverTable[];
}

export class SmtpAgentDeliverer implements Deliverer {
  /** The agent queues on its pool: a batch handed over whole keeps every connection busy. */
  readonly maxInFlight = Infinity;
  private child!: ChildProcess;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (r: DeliveryResult) => void; reject: (e: Error) => void }>();
  private exited = false;

  private constructor(private readonly o: SmtpAgentOptions) {}

  static async start(o: SmtpAgentOptions): Promise<SmtpAgentDeliverer> {
    const d = new SmtpAgentDeliverer(o);
    await d.spawn();
    return d;
  }

  private spawn(): Promise<void> {
    // Built (dist/*.js) the agent is plain JavaScript; from the sources (tests, tsx) it is
    // TypeScript and needs tsx, a development dependency.
    const compiled = import.meta.url.endsWith('.js');
    const script = fileURLToPath(new URL(compiled ? './smtp-agent-process.js' : './smtp-agent-process.ts', import.meta.url));
    const args = compiled ? [script] : ['--import', import.meta.resolve('tsx'), script];
    this.child = spawn(process.execPath, args, {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      // Structured clone moves the message batches with less work than JSON text.
      serialization: 'advanced',
      env: { ...process.env, MAILROOM_AGENT: JSON.stringify(this.o) },
    });
    this.child.on('exit', () => {
      this.exited = true;
      for (const w of this.waiting.values()) w.reject(new DeliveryError('SMTP agent exited', false));
      this.waiting.clear();
    });
    return new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.on('message', (batch: AgentReply[] | { ready: true }) => {
        if ('ready' in batch) return resolve();
        for (const m of batch) {
          const w = this.waiting.get(m.id);
          if (!w) continue;
          this.waiting.delete(m.id);
          if (m.ok) w.resolve({ result: m.result });
          else w.reject(Object.assign(new DeliveryError(m.message, m.permanent), { responseCode: m.code }));
        }
      });
      this.child.once('exit', (code) => reject(new Error(`SMTP agent exited early (${code})`)));
    });
  }

  /** Sends handed over in the same tick travel as one IPC message: per-message IPC cost more than the SMTP work. */
  private outgoing: { id: number; rowId: string; mail: OutgoingEmail }[] = [];

  deliver(row: ClaimedRow): Promise<DeliveryResult> {
    if (this.exited) return Promise.reject(new DeliveryError('SMTP agent is not running', false));
    const mail = row.payload as unknown as OutgoingEmail;
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      if (this.outgoing.length === 0) setImmediate(() => this.flush());
      this.outgoing.push({ id, rowId: row.id, mail });
    });
  }

  private flush(): void {
    const batch = this.outgoing;
    this.outgoing = [];
    if (batch.length && !this.exited) this.child.send({ send: batch });
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
