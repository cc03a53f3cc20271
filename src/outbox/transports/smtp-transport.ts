import { Worker } from 'node:worker_threads';
import type { OutgoingEmail } from '../outgoing-email.ts';
import { DeliveryError } from '../delivery-error.ts';
import type { ClaimedRow, Deliverer, DeliveryResult } from '../deliverer.ts';
import { toNodemailerMessage } from './compose.ts';

interface SmtpError {
  message: string;
  responseCode?: number;
  code?: string;
  response?: string;
}

/** SMTP reply classes decide retry: 4xx and connection trouble are temporary, 5xx final. */
export function classifySmtpError(err: SmtpError): DeliveryError {
  const code = err.responseCode;
  const reason = (err.response ?? err.message ?? String(err)).replace(/\s+/g, ' ').slice(0, 500);
  if (code && code >= 500 && code < 600) return new DeliveryError(`SMTP ${code}: ${reason}`, true);
  if (code && code >= 400 && code < 500) return new DeliveryError(`SMTP ${code}: ${reason}`, false);
  if (err.code === 'EENVELOPE' && !code) return new DeliveryError(`envelope rejected: ${reason}`, true);
  return new DeliveryError(`${err.code ?? 'error'}: ${reason}`, false);
}

export interface SmtpDelivererOptions {
  poolSize: number;
  /** Where the sender thread records accepted rows (a DeliveryJournal file). */
  journalFile?: string;
}

/**
 * Pooled SMTP through nodemailer, run in a worker thread (smtp-sender-thread.js) so that the
 * peer's acceptance is journaled at once rather than after the main thread's queued work.
 */
export class SmtpDeliverer implements Deliverer {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: DeliveryResult) => void; reject: (e: Error) => void }>();
  private seq = 0;

  constructor(url: string, opts: SmtpDelivererOptions) {
    const transportOptions = {
      url,
      pool: true,
      maxConnections: opts.poolSize,
      maxMessages: Infinity,
      // Local relays and test peers often have no certificate; plain SMTP is what the URL asked for.
      ignoreTLS: url.startsWith('smtp:') && new URL(url).searchParams.get('starttls') !== 'required',
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: 60_000,
    };
    this.worker = new Worker(new URL('./smtp-sender-thread.js', import.meta.url), {
      workerData: { transportOptions, journalFile: opts.journalFile },
    });
    this.worker.on('message', (msg: { id: number; ok: boolean; info?: Record<string, unknown>; error?: SmtpError }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve({ result: msg.info });
      else p.reject(classifySmtpError(msg.error!));
    });
    this.worker.on('error', (e) => this.failAll(e));
    this.worker.on('exit', () => this.failAll(new Error('SMTP sender thread stopped')));
    this.worker.unref();
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(new DeliveryError(e.message, false));
    this.pending.clear();
  }

  deliver(row: ClaimedRow): Promise<DeliveryResult> {
    const mail = row.payload as unknown as OutgoingEmail;
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, rowId: row.id, mail: toNodemailerMessage(mail) });
    });
  }

  /** Every row handed over so far is recorded in the database: the journal may be emptied. */
  idle(): void {
    this.worker.postMessage({ type: 'compact' });
  }

  async close(): Promise<void> {
    this.worker.postMessage({ type: 'close' });
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => void this.worker.terminate().then(() => resolve()), 5_000);
      this.worker.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
