/**
 * A receiving SMTP peer for tests: `smtp-server` on 127.0.0.1, no TLS, AUTH accepted but not
 * required. It records every accepted message and can be told to fail deliveries.
 *
 *   const smtp = await startSmtpPeer();
 *   process.env.SMTP_URL = smtp.url;
 *   smtp.failNext(1, { code: 451 });          // next DATA answered "451 ..."
 *   smtp.failNext(1, 'drop');                 // next DATA: socket destroyed, no answer
 *   await smtp.waitFor(2, 5000);
 *   await smtp.stop();
 */
import type { AddressInfo } from 'node:net';
import type net from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

export type SmtpFaultCode = 421 | 450 | 451 | 550 | 554;
export type SmtpFault = { code: SmtpFaultCode; message?: string } | 'drop';

export interface ReceivedMessage {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  /** Message-ID header value including the angle brackets, if present. */
  messageId?: string;
  receivedAt: Date;
  /** AUTH user name when the client authenticated. */
  authUser?: string;
}

export interface SmtpAttempt {
  envelope: { from: string; to: string[] };
  messageId?: string;
  at: Date;
  /** 'accepted', the SMTP code answered (a fault's code, or 552 for an oversized message), or 'drop'. */
  outcome: 'accepted' | 'drop' | number;
}

export interface StartSmtpPeerOptions {
  /** Advertised SIZE limit in bytes; bigger messages get 552. Default: none. */
  size?: number;
  /** Hostname in the banner and EHLO answer. */
  name?: string;
}

export interface SmtpPeer {
  port: number;
  /** `smtp://127.0.0.1:<port>` */
  url: string;
  /** Accepted messages, in order of acceptance. */
  messages: ReceivedMessage[];
  /** Every DATA transaction, accepted or failed. */
  attempts: SmtpAttempt[];
  /** Fail the next `n` DATA transactions with `kind` (queued after faults already pending). */
  failNext(n: number, kind: SmtpFault): void;
  /** Fail every DATA transaction with `kind` until called with null. Pending failNext faults go first. */
  failAlways(kind: SmtpFault | null): void;
  /** Wait `ms` before answering each DATA (0 to switch off). */
  delayMs(ms: number): void;
  /** Accepted messages per Message-ID (messages without one are counted under ''). */
  countByMessageId(): Map<string, number>;
  /** Resolves with the messages once at least `count` were accepted; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  /** Forget recorded messages/attempts and all faults and delays. */
  reset(): void;
  /** Close the server and all client connections. Idempotent. */
  stop(): Promise<void>;
}

/** Reads the Message-ID header (unfolded) from the header block of a raw message. */
export function extractMessageId(raw: Buffer): string | undefined {
  const text = raw.subarray(0, Math.min(raw.length, 256 * 1024)).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const headers = (end === -1 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const m = /^message-id:[ \t]*(.*)$/im.exec(headers);
  const v = m?.[1]?.trim();
  return v ? v : undefined;
}

const DEFAULT_TEXT: Record<SmtpFaultCode, string> = {
  421: 'Service not available, closing transmission channel',
  450: 'Requested mail action not taken: mailbox unavailable',
  451: 'Requested action aborted: local error in processing',
  550: 'Requested action not taken: mailbox unavailable',
  554: 'Transaction failed',
};

export async function startSmtpPeer(opts: StartSmtpPeerOptions = {}): Promise<SmtpPeer> {
  const messages: ReceivedMessage[] = [];
  const attempts: SmtpAttempt[] = [];
  let pending: SmtpFault[] = [];
  let always: SmtpFault | null = null;
  let delay = 0;
  const waiters = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();

  const notify = () => {
    for (const w of [...waiters]) w();
  };

  const envelopeOf = (session: SMTPServerSession) => ({
    from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
    to: session.envelope.rcptTo.map((r) => r.address),
  });

  const destroySession = (session: SMTPServerSession) => {
    for (const conn of server.connections) {
      if (conn.id === session.id) {
        const sock = (conn as unknown as { _socket?: net.Socket })._socket;
        sock?.destroy();
      }
    }
  };

  const server: SMTPServer = new SMTPServer({
    secure: false,
    name: opts.name ?? 'smtp-peer.test',
    banner: 'Mailroom test SMTP peer',
    disabledCommands: ['STARTTLS'],
    hideSTARTTLS: true,
    authOptional: true,
    allowInsecureAuth: true,
    size: opts.size,
    logger: false,
    closeTimeout: 200,
    socketTimeout: 30_000,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? 'anonymous' });
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (err) => callback(err));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const envelope = envelopeOf(session);
        const messageId = extractMessageId(raw);
        const fault = pending.length > 0 ? pending.shift() : always ?? undefined;

        const answer = () => {
          if (stream.sizeExceeded) {
            attempts.push({ envelope, messageId, at: new Date(), outcome: 552 });
            const err = new Error('Message exceeds fixed maximum message size') as Error & { responseCode: number };
            err.responseCode = 552;
            callback(err);
            return;
          }
          if (fault === 'drop') {
            attempts.push({ envelope, messageId, at: new Date(), outcome: 'drop' });
            destroySession(session);
            return; // never answered
          }
          if (fault) {
            attempts.push({ envelope, messageId, at: new Date(), outcome: fault.code });
            const err = new Error(fault.message ?? DEFAULT_TEXT[fault.code]) as Error & { responseCode: number };
            err.responseCode = fault.code;
            callback(err);
            return;
          }
          attempts.push({ envelope, messageId, at: new Date(), outcome: 'accepted' });
          messages.push({
            envelope,
            raw,
            messageId,
            receivedAt: new Date(),
            authUser: typeof session.user === 'string' ? session.user : undefined,
          });
          callback(null, messageId ? `Ok: queued as ${messages.length}` : 'Ok');
          notify();
        };

        if (delay > 0) {
          const t = setTimeout(() => {
            timers.delete(t);
            answer();
          }, delay);
          timers.add(t);
        } else answer();
      });
    },
  });
  server.on('error', () => {
    // client-side socket errors (e.g. after 'drop') are expected in tests
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.server.once('error', onError);
    server.listen(0, '127.0.0.1', () => {
      server.server.off('error', onError);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;
  let stopped = false;

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    attempts,
    failNext(n, kind) {
      for (let i = 0; i < n; i++) pending.push(kind);
    },
    failAlways(kind) {
      always = kind;
    },
    delayMs(ms) {
      delay = Math.max(0, ms);
    },
    countByMessageId() {
      const counts = new Map<string, number>();
      for (const m of messages) {
        const k = m.messageId ?? '';
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      return counts;
    },
    waitFor(count, timeoutMs = 5000) {
      return new Promise<ReceivedMessage[]>((resolve, reject) => {
        if (messages.length >= count) {
          resolve(messages.slice());
          return;
        }
        const check = () => {
          if (messages.length >= count) {
            cleanup();
            resolve(messages.slice());
          }
        };
        const t = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `smtp-peer: expected ${count} message(s) within ${timeoutMs} ms, got ${messages.length}` +
                ` (attempts: ${attempts.map((a) => a.outcome).join(', ') || 'none'})`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(t);
          waiters.delete(check);
        };
        waiters.add(check);
      });
    },
    reset() {
      messages.length = 0;
      attempts.length = 0;
      pending = [];
      always = null;
      delay = 0;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const conn of server.connections) {
        (conn as unknown as { _socket?: net.Socket })._socket?.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
