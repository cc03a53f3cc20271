import nodemailer from 'nodemailer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { extractMessageId, startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';

type SendError = Error & { code?: string; responseCode?: number; command?: string };

describe('smtp peer', () => {
  let smtp: SmtpPeer;
  beforeAll(async () => {
    smtp = await startSmtpPeer();
  });
  afterEach(() => smtp.reset());
  afterAll(async () => {
    await smtp?.stop();
  });

  const transport = (url = smtp.url) =>
    nodemailer.createTransport(url, { connectionTimeout: 3000, greetingTimeout: 3000, socketTimeout: 3000 } as never);

  const mail = (n: number) => ({
    from: 'Mailroom <post@infracomfort.example>',
    to: ['kari@kunde.example', 'ola@kunde.example'],
    subject: `Test ${n}`,
    text: 'Hei æøå',
    messageId: `<rig-${n}@infracomfort.example>`,
    envelope: { from: 'bounce+rig@infracomfort.example', to: ['kari@kunde.example', 'ola@kunde.example'] },
  });

  it('receives mail sent with nodemailer', async () => {
    expect(smtp.url).toBe(`smtp://127.0.0.1:${smtp.port}`);
    const info = await transport().sendMail(mail(1));
    expect(info.accepted).toEqual(['kari@kunde.example', 'ola@kunde.example']);
    const [m] = await smtp.waitFor(1, 2000);
    expect(m.envelope).toEqual({ from: 'bounce+rig@infracomfort.example', to: ['kari@kunde.example', 'ola@kunde.example'] });
    expect(m.messageId).toBe('<rig-1@infracomfort.example>');
    expect(m.raw.toString('utf8')).toContain('Subject: Test 1');
    expect(m.receivedAt).toBeInstanceOf(Date);
  });

  it('accepts AUTH when the client offers it', async () => {
    const url = `smtp://user:pass@127.0.0.1:${smtp.port}`;
    await transport(url).sendMail(mail(2));
    const [m] = await smtp.waitFor(1, 2000);
    expect(m.authUser).toBe('user');
  });

  it('answers 451 and 550 on DATA as told', async () => {
    smtp.failNext(1, { code: 451 });
    smtp.failNext(1, { code: 550, message: 'No such user here' });
    const e1 = (await transport().sendMail(mail(3)).catch((e: unknown) => e)) as SendError;
    expect(e1).toBeInstanceOf(Error);
    expect(e1.responseCode).toBe(451);
    const e2 = (await transport().sendMail(mail(3)).catch((e: unknown) => e)) as SendError;
    expect(e2.responseCode).toBe(550);
    expect(e2.message).toContain('No such user here');
    // Then it accepts again.
    await transport().sendMail(mail(3));
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.attempts.map((a) => a.outcome)).toEqual([451, 550, 'accepted']);
  });

  it('drops the connection on DATA: a connection error, no response code', async () => {
    smtp.failNext(1, 'drop');
    const e = (await transport().sendMail(mail(4)).catch((err: unknown) => err)) as SendError;
    expect(e).toBeInstanceOf(Error);
    expect(e.responseCode).toBeUndefined();
    expect(e.code).toMatch(/^(ECONNECTION|ESOCKET|ECONNRESET)$/);
    expect(smtp.messages).toHaveLength(0);
  });

  it('fails always until switched off, and counts duplicates by Message-ID', async () => {
    smtp.failAlways({ code: 421 });
    for (let i = 0; i < 2; i++) {
      const e = (await transport().sendMail(mail(5)).catch((err: unknown) => err)) as SendError;
      expect(e.responseCode).toBe(421);
    }
    smtp.failAlways(null);
    await transport().sendMail(mail(5));
    await transport().sendMail(mail(5));
    await transport().sendMail(mail(6));
    expect(smtp.countByMessageId()).toEqual(
      new Map([
        ['<rig-5@infracomfort.example>', 2],
        ['<rig-6@infracomfort.example>', 1],
      ]),
    );
  });

  it('delays the DATA answer (a client timeout fires first)', async () => {
    smtp.delayMs(1500);
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, socketTimeout: 500 });
    const e = (await t.sendMail(mail(7)).catch((err: unknown) => err)) as SendError;
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toMatch(/^(ETIMEDOUT|ESOCKET|ECONNECTION)$/);
    // The peer still accepts it after the delay: the "sent but unconfirmed" case.
    await smtp.waitFor(1, 3000);
  });

  it('waitFor rejects after its timeout', async () => {
    await expect(smtp.waitFor(1, 100)).rejects.toThrow(/expected 1 message/);
  });

  it('extracts folded Message-ID headers', () => {
    const raw = Buffer.from('Subject: x\r\nMessage-ID:\r\n <folded@x.example>\r\n\r\nMessage-ID: <body@x>\r\n');
    expect(extractMessageId(raw)).toBe('<folded@x.example>');
    expect(extractMessageId(Buffer.from('Subject: x\r\n\r\nbody'))).toBeUndefined();
  });
});
