/**
 * Issue 17, point 6: every route on the daemon's HTTP port refuses a body it cannot take with
 * the status that says why (413 too large, 415 wrong type, 400 malformed), never 500, and logs
 * it below error level. The privacy form reads a token past the old 4 KB cut-off and refuses a
 * body past its limit; Slack requests are still verified on their raw bytes. All against the
 * real daemon process (Dovecot in, smtp-server out, the Slack fake for the Web API).
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startDovecot, type DovecotInstance } from '../support/dovecot.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { startSlackFake, signSlackRequest, type SlackFake } from '../support/slack-fake.ts';
import { startDaemonProcess, daemonEnv, type DaemonProcess } from '../support/daemon-process.ts';
import { stopStack, parseReceived, sqlFor, waitUntil } from '../support/e2e-helpers.ts';

const TOKEN = 'xoxb-http-bodies-test';
const SIGNING_SECRET = 'http-bodies-signing-secret-0123';

let db: TestDatabase;
let dovecot: DovecotInstance;
let peer: SmtpPeer;
let slack: SlackFake;
let env: Record<string, string>;
let daemon: DaemonProcess | undefined;

interface Answer {
  status: number;
  body: string;
}

/**
 * One request with exactly these headers and body (fetch would add or fix some). A body given
 * as a number of bytes is streamed in chunks without a Content-Length (chunked encoding).
 */
function send(method: string, path: string, headers: Record<string, string>, body?: string | Buffer | { chunkedBytes: number }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: daemon!.httpPort, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
    });
    // The server may answer before it has read everything: that answer is what counts.
    req.on('error', (e) => reject(e));
    if (body && typeof body === 'object' && 'chunkedBytes' in body) {
      const chunk = Buffer.alloc(16 * 1024, 'a');
      let left = body.chunkedBytes;
      const pump = () => {
        while (left > 0) {
          left -= chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    } else req.end(body);
  });
}

const formHeaders = (body: string | Buffer) => ({ 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) });

function slackHeaders(body: string, contentType: string): Record<string, string> {
  return { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)), ...signSlackRequest(body, SIGNING_SECRET) };
}

/** Error-level (pino 50+) lines the daemon printed: a bad request must leave none. */
function errorLines(): string[] {
  return daemon!
    .output()
    .split('\n')
    .filter((l) => /"level":(5\d|60)/.test(l) || /HTTP handler failed/.test(l));
}

beforeAll(async () => {
  db = await createTestDatabase();
  [dovecot, peer, slack] = await Promise.all([startDovecot(), startSmtpPeer(), startSlackFake({ tokens: [TOKEN], tsBase: Math.floor(Date.now() / 1000) })]);
  env = daemonEnv({
    DATABASE_URL: db.url,
    SMTP_URL: peer.url,
    ...dovecot.env(),
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.url,
  });
  daemon = await startDaemonProcess(env);
}, 180_000);

afterAll(async () => {
  await stopStack({ daemon, peers: [slack, peer, dovecot], db, env });
});

describe('request bodies on every route (issue 17, point 6)', () => {
  it('a newsletter form too large for its limit gets 413, declared or streamed, and the next request is served', async () => {
    const big = `email=${'x'.repeat(100 * 1024)}%40fjellheim.example`;
    const declared = await send('POST', '/newsletter/subscribe', formHeaders(big), big);
    expect(declared.status).toBe(413);
    expect(declared.body).not.toMatch(/\bat .*\.(ts|js):\d+/);
    const streamed = await send('POST', '/newsletter/subscribe', { 'content-type': 'application/x-www-form-urlencoded' }, { chunkedBytes: 512 * 1024 });
    expect(streamed.status).toBe(413);
    expect((await send('GET', '/healthz', {})).status).toBe(200);
  });

  it('a form in another media type gets 415; bytes that are not UTF-8 get 400', async () => {
    const json = JSON.stringify({ email: 'ola@fjellheim.example' });
    expect((await send('POST', '/newsletter/subscribe', { 'content-type': 'application/json', 'content-length': String(json.length) }, json)).status).toBe(415);
    expect((await send('POST', '/newsletter/preferences?t=x', { 'content-type': 'text/xml', 'content-length': '7' }, '<a></a>')).status).toBe(415);
    const latin1 = Buffer.from('name=Bj\xf8rn&email=bjorn%40fjellheim.example', 'latin1');
    expect((await send('POST', '/newsletter/subscribe', formHeaders(latin1), latin1)).status).toBe(400);
    const declaredLatin1 = 'email=bjorn%40fjellheim.example';
    expect((await send('POST', '/newsletter/subscribe', { 'content-type': 'application/x-www-form-urlencoded; charset=iso-8859-1', 'content-length': String(declaredLatin1.length) }, declaredLatin1)).status).toBe(415);
  });

  it('routes that take no body (tracking, health, metrics) refuse one with 413', async () => {
    for (const path of ['/healthz', '/metrics', '/newsletter/o?t=x', '/newsletter/c?t=x']) {
      const r = await send('GET', path, { 'content-type': 'text/plain', 'content-length': '5' }, 'hallo');
      expect(r.status, path).toBe(413);
    }
  });

  it('the privacy verification form reads its token past 4 KB, and refuses a body past its limit with 413', async () => {
    // A customer on file (their first mail made them a contact) asks for their data.
    const mail = (id: string, subject: string, body: string) =>
      [`From: Ragnhild Aas <ragnhild.aas@fjellheim.example>`, 'To: post@infracomfort.example', `Subject: ${subject}`, `Message-ID: <${id}@fjellheim.example>`, 'Date: Tue, 03 Nov 2026 10:00:00 +0100', 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n');
    await dovecot.append(dovecot.users[0]!.user, 'INBOX', mail('first', 'Varmepumpa', 'Hei, varmepumpa vår piper om natta. Kan de sjekke den?'));
    await waitUntil('the first mail filed', async () => (await sqlFor(db.orm)(`select 1 from contact where email = 'ragnhild.aas@fjellheim.example'`)).length > 0, { timeoutMs: 60_000, describe: async () => daemon!.output() });
    await dovecot.append(dovecot.users[0]!.user, 'INBOX', mail('access', 'Innsyn', 'Jeg ber om innsyn i alle personopplysninger dere har lagret om meg.'));
    let token = '';
    await waitUntil(
      'the verification mail',
      async () => {
        for (const m of peer.messages.filter((x) => x.envelope.to.includes('ragnhild.aas@fjellheim.example'))) {
          token = /\/privacy\/verify\?t=([A-Za-z0-9_-]+)/.exec((await parseReceived(m)).text)?.[1] ?? token;
        }
        return token !== '';
      },
      { timeoutMs: 60_000, describe: async () => JSON.stringify(peer.messages.map((m) => m.envelope)) + daemon!.output() },
    );

    const tooBig = `pad=${'p'.repeat(70 * 1024)}&t=${token}`;
    expect((await send('POST', '/privacy/verify', formHeaders(tooBig), tooBig)).status).toBe(413);
    const [before] = await sqlFor(db.orm)(`select c.state from privacy_case c where c.subject_email = 'ragnhild.aas@fjellheim.example'`);
    expect(before).toMatchObject({ state: 'awaiting_verification' });

    // A form whose token comes after 5 KB of other fields (the old reader cut it off at 4 KB).
    const padded = `note=${'n'.repeat(5 * 1024)}&t=${token}`;
    const r = await send('POST', '/privacy/verify', formHeaders(padded), padded);
    expect(r.status, r.body).toBe(200);
    const [after] = await sqlFor(db.orm)(`select c.state from privacy_case c where c.subject_email = 'ragnhild.aas@fjellheim.example'`);
    expect(after!.state).not.toBe('awaiting_verification');
  }, 150_000);

  it('Slack: signed requests still verify on their raw bytes; too large 413, wrong type 415, malformed 400, unsigned 401', async () => {
    const challenge = JSON.stringify({ type: 'url_verification', challenge: 'fjordkall-42', token: 'x' });
    const ok = await send('POST', '/slack/events', slackHeaders(challenge, 'application/json'), challenge);
    expect(ok).toMatchObject({ status: 200 });
    expect(JSON.parse(ok.body)).toEqual({ challenge: 'fjordkall-42' });

    const huge = JSON.stringify({ type: 'url_verification', challenge: 'y'.repeat(2 * 1024 * 1024) });
    expect((await send('POST', '/slack/events', slackHeaders(huge, 'application/json'), huge)).status).toBe(413);
    const xml = '<payload/>';
    expect((await send('POST', '/slack/events', slackHeaders(xml, 'text/xml'), xml)).status).toBe(415);
    const broken = 'payload=%7B%22type%22%3A';
    expect((await send('POST', '/slack/events', slackHeaders(broken, 'application/x-www-form-urlencoded'), broken)).status).toBe(400);
    expect((await send('POST', '/slack/events', { 'content-type': 'application/json', 'content-length': String(challenge.length) }, challenge)).status).toBe(401);
  });

  it('none of these bad requests left an error-level line in the daemon log', () => {
    expect(errorLines()).toEqual([]);
  });
});
