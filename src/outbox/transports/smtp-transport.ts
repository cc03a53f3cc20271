import { openSync, writeSync, closeSync, ftruncateSync, fstatSync } from 'node:fs';
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';
import type { OutgoingEmail } from '../outgoing-email.ts';
import { DeliveryError } from '../../queue/delivery-error.ts';
import type { ClaimedRow, Deliverer, DeliveryResult } from '../deliverer.ts';
import { toNodemailerMessage } from './compose.ts';
import { JOURNAL_COMPLETE } from '../../queue/delivery-journal.ts';

interface SmtpError {
  message: string;
  responseCode?: number;
  code?: string;
  response?: string;
}

const JOURNAL_COALESCE_MS = 3;

/** SMTP reply classes decide retry: 4xx and connection trouble are temporary, 5xx final. */
export function classifySmtpError(err: SmtpError): DeliveryError {
  const code = err.responseCode;
  const reason = (err.response ?? err.message ?? String(err)).replace(/\s+/g, ' ').slice(0, 500);
  if (code && code >= 500 && code < 600) return new DeliveryError(`SMTP ${code}: ${reason}`, true);
  if (code && code >= 400 && code < 500) return new DeliveryError(`SMTP ${code}: ${reason}`, false);
  if (err.code === 'EENVELOPE' && !code) return new DeliveryError(`envelope rejected: ${reason}`, true);
  return new DeliveryError(`${err.code ?? 'error'}: ${reason}`, false);
}

/** How SMTP_URL is spoken to, for the deliverer and for `mailroom doctor` alike. */
export function smtpConnectionOptions(url: string) {
  return {
    url,
    // Local relays and test peers often have no certificate; plain SMTP is what the URL asked for.
    ignoreTLS: url.startsWith('smtp:') && new URL(url).searchParams.get('starttls') !== 'required',
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  };
}

export interface SmtpDelivererOptions {
  poolSize: number;
  /** Where accepted rows are journaled (a DeliveryJournal file); see delivery-journal.ts. */
  journalFile?: string;
}

/** Pooled SMTP through nodemailer; each acceptance is journaled before anything else runs. */
export class SmtpDeliverer implements Deliverer {
  private readonly transporter: Transporter;
  private readonly journal: number | null;

  constructor(url: string, opts: SmtpDelivererOptions) {
    this.transporter = nodemailer.createTransport({
      ...smtpConnectionOptions(url),
      pool: true,
      maxConnections: opts.poolSize,
      maxMessages: Infinity,
    } as Parameters<typeof nodemailer.createTransport>[0]);
    this.journal = opts.journalFile ? openSync(opts.journalFile, 'a') : null;
  }

  deliver(row: ClaimedRow): Promise<DeliveryResult> {
    return this.send(row.id, toNodemailerMessage(row.payload as unknown as OutgoingEmail));
  }

  private send(rowId: string, message: SendMailOptions): Promise<DeliveryResult> {
    return new Promise((resolve, reject) => {
      this.transporter.sendMail(message, (err, info) => {
        if (err) return reject(classifySmtpError(err as SmtpError));
        this.journalAccepted(rowId);
        resolve({ result: { response: info.response, accepted: info.accepted, rejected: info.rejected } });
      });
    });
  }

  private accepted: string[] = [];

  /**
   * Acceptances go to the journal a few milliseconds' worth at a time (a write per message
   * cost a seventh of the agent's time); the agent flushes it before each batch of replies,
   * so no reply ever announces a row the journal does not hold yet. A kill of the dispatcher
   * loses nothing (the agent flushes on close); a crash of the agent itself can lose the last
   * few milliseconds' acceptances, whose rows recovery then resends flagged in doubt.
   */
  private journalAccepted(rowId: string): void {
    if (this.journal === null) return;
    if (this.accepted.length === 0) setTimeout(() => this.flushJournal(), JOURNAL_COALESCE_MS);
    this.accepted.push(rowId);
  }

  /** Writes the acceptances not yet in the journal (called before replying about them). */
  flushJournal(): void {
    if (this.journal === null || this.accepted.length === 0) return;
    const ids = this.accepted;
    this.accepted = [];
    writeSync(this.journal, ids.join('\n') + '\n');
  }

  /** Every row handed over so far is recorded in the database: the journal may be emptied. */
  idle(): void {
    if (this.journal !== null && fstatSync(this.journal).size > 1 << 20) ftruncateSync(this.journal, 0);
  }

  /** Closes the pool; the journal's last line then says that nothing is left in flight. */
  async close(): Promise<void> {
    this.transporter.close();
    this.flushJournal();
    if (this.journal !== null) {
      writeSync(this.journal, JOURNAL_COMPLETE + '\n');
      closeSync(this.journal);
    }
  }
}
