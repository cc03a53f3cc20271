import nodemailer from 'nodemailer';
import { smtpConnectionOptions } from '../outbox/transports/smtp-transport.ts';
import { fail, ok, warn, type Check, type CheckResult } from './check.ts';
import { describeNetError, describeUrl } from './net-error.ts';

export interface SmtpCheckOptions {
  smtpUrl: string;
  mailFrom: string;
  timeoutMs: number;
}

/**
 * Connects, says EHLO, STARTTLS when offered, and logs in when SMTP_URL carries credentials
 * (nodemailer's verify()); sends nothing. MAIL_FROM still at its default is worth a warning.
 */
export function smtpCheck(o: SmtpCheckOptions): Check {
  return {
    name: 'smtp',
    async run() {
      const where = describeUrl(o.smtpUrl, o.smtpUrl.startsWith('smtps:') ? 465 : 587);
      const u = new URL(o.smtpUrl);
      const user = u.username ? decodeURIComponent(u.username) : undefined;
      const transport = nodemailer.createTransport({
        ...smtpConnectionOptions(o.smtpUrl),
        connectionTimeout: o.timeoutMs,
        greetingTimeout: o.timeoutMs,
        socketTimeout: o.timeoutMs,
      } as Parameters<typeof nodemailer.createTransport>[0]);
      const results: CheckResult[] = [];
      try {
        await transport.verify();
        results.push(ok('smtp', `EHLO ${user ? `and login as ${user} ` : ''}accepted by ${where}${user ? '' : ' (no credentials in SMTP_URL: the relay must accept this host)'}`));
      } catch (e) {
        const err = e as { code?: string; responseCode?: number; response?: string };
        if (err.code === 'EAUTH') {
          results.push(fail('smtp', `${where} refused the login${user ? ` as ${user}` : ''} (${err.responseCode ?? 'EAUTH'}): check the user and password in SMTP_URL`));
        } else if (err.responseCode) {
          results.push(fail('smtp', `${where} answered ${err.responseCode} (${String(err.response ?? '').slice(0, 120)}): check SMTP_URL`));
        } else {
          results.push(fail('smtp', `cannot talk to ${where} (${describeNetError(e)}): is the relay running? check SMTP_URL`));
        }
      } finally {
        transport.close();
      }
      if (/@localhost>?$/i.test(o.mailFrom)) results.push(warn('mail from', `MAIL_FROM is ${o.mailFrom}: set it to the shared inbox's address, or replies and bounces go nowhere`));
      else results.push(ok('mail from', o.mailFrom));
      return { results };
    },
  };
}
