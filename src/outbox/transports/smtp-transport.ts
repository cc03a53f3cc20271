import nodemailer, { type Transporter } from 'nodemailer';
import type { OutgoingEmail } from '../outgoing-email.ts';
import { DeliveryError } from '../delivery-error.ts';
import type { ClaimedRow, Deliverer, DeliveryResult } from '../deliverer.ts';
import { toNodemailerMessage } from './compose.ts';

interface SmtpError extends Error {
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

export class SmtpDeliverer implements Deliverer {
  private readonly transporter: Transporter;

  constructor(url: string, opts: { poolSize: number }) {
    this.transporter = nodemailer.createTransport({
      url,
      pool: true,
      maxConnections: opts.poolSize,
      maxMessages: Infinity,
      // Local relays and test peers often have no certificate; plain SMTP is what the URL asked for.
      ignoreTLS: url.startsWith('smtp:') && new URL(url).searchParams.get('starttls') !== 'required',
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: 60_000,
    } as nodemailer.TransportOptions);
  }

  async deliver(row: ClaimedRow): Promise<DeliveryResult> {
    const mail = row.payload as unknown as OutgoingEmail;
    try {
      const info = await this.transporter.sendMail(toNodemailerMessage(mail));
      return { result: { response: info.response, accepted: info.accepted, rejected: info.rejected } };
    } catch (e) {
      throw classifySmtpError(e as SmtpError);
    }
  }

  async close(): Promise<void> {
    this.transporter.close();
  }
}
