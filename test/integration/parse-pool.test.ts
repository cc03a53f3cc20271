// The parse stage on worker threads gives what it gives in the caller's thread: the same
// StoredParse and attachments for every fixture (our mail fixtures, the sisimai bounce corpus, a
// winmail.dat), the same typed error for unparseable bytes, and the caller's other buffers left
// intact by the transfer. Run under vitest, the pool loads the compiled worker in dist/ (see
// parse-pool.ts), which the global setup builds.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMessageParser, inThreadParser, parseWorkerCount } from '../../src/ingest/parse-pool.ts';
import { UnparseableMessageError } from '../../src/ingest/parse-message.ts';

const options = { ownDomains: ['infracomfort.example'], messageIdDomain: 'infracomfort.example' };
const fixtures = new URL('../fixtures/', import.meta.url);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.eml') ? [path.join(dir, e.name)] : []));
}

function tnefMail(): Buffer {
  const dat = readFileSync(new URL('tnef/attachments.dat', fixtures)).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    'From: a@b.example\r\nTo: c@d.example\r\nSubject: tnef\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="XX"\r\n\r\n' +
      '--XX\r\nContent-Type: text/plain\r\n\r\nhello\r\n' +
      '--XX\r\nContent-Type: application/ms-tnef; name="winmail.dat"\r\nContent-Disposition: attachment; filename="winmail.dat"\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
      dat +
      '\r\n--XX--\r\n',
  );
}

/**
 * mailparser writes the clock's date into the text of an embedded message that has none (a few
 * sisimai bounces): the two parses of it differ by the seconds between them.
 */
function withoutToday(v: unknown): unknown {
  const today = new RegExp(`${new Date().toUTCString().slice(0, 16)} \\d\\d:\\d\\d:\\d\\d GMT`, 'g');
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'string' ? x.replace(today, '(now)') : x)));
}

describe('parse pool', () => {
  const pool = createMessageParser(2);
  afterAll(() => pool.close());

  it('parses every fixture as the caller’s thread does, side by side', async () => {
    const paths = [...files(new URL('mail', fixtures).pathname), ...files(new URL('sisimai/maildir', fixtures).pathname)];
    expect(paths.length).toBeGreaterThan(600);
    const raws = [...paths.map((p) => readFileSync(p)), tnefMail()];
    const expected = await Promise.all(raws.map((r) => inThreadParser.parse(Buffer.from(r), options).catch((e: Error) => e)));
    // all at once, as a batch is handed over: the pool queues them
    const got = await Promise.all(raws.map((r) => pool.parse(Buffer.from(r), options).catch((e: Error) => e)));
    for (const [i, e] of expected.entries()) {
      if (e instanceof Error) {
        expect(got[i], paths[i]).toBeInstanceOf(UnparseableMessageError);
        expect((got[i] as Error).message).toBe(e.message);
      } else expect(withoutToday(got[i]), paths[i]).toEqual(withoutToday(e));
    }
    const tnef = got.at(-1) as Exclude<(typeof got)[number], Error>;
    expect(tnef.attachments.map((a) => [a.filename, a.content?.length])).toEqual([['zappa_av1.jpg', 2937], ['bookmark.htm', 85805]]);
    expect(tnef.attachments.every((a) => Buffer.isBuffer(a.content))).toBe(true);
  });

  it('unparseable bytes come back as the typed error with its problems', async () => {
    const e = await pool.parse(Buffer.alloc(0), options).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnparseableMessageError);
    expect((e as Error).message).toBe('empty message');
  });

  it('a small buffer from Node’s shared pool is copied, not transferred: its neighbours stay intact', async () => {
    const neighbour = Buffer.from('neighbour bytes in the same pool slab');
    const raw = Buffer.from('From: a@b.example\r\nSubject: small\r\n\r\nhi\r\n');
    expect(raw.buffer).toBe(neighbour.buffer); // both from the shared pool
    const r = await pool.parse(raw, options);
    expect(r.stored.subject).toBe('small');
    expect(neighbour.toString()).toBe('neighbour bytes in the same pool slab');
  });

  it('a buffer owning its memory is transferred (the caller gave it away)', async () => {
    const raw = Buffer.from(`From: a@b.example\r\nSubject: big\r\n\r\n${'x'.repeat(100_000)}\r\n`);
    expect(raw.byteLength).toBe(raw.buffer.byteLength);
    const r = await pool.parse(raw, options);
    expect(r.stored.subject).toBe('big');
    expect(raw.buffer.byteLength).toBe(0); // detached: moved, not copied
  });
});

describe('parseWorkerCount', () => {
  it('is one per core but one, at least one, unless configured (0 = in this thread)', () => {
    expect(parseWorkerCount(undefined, 2)).toBe(1);
    expect(parseWorkerCount(undefined, 1)).toBe(1);
    expect(parseWorkerCount(undefined, 8)).toBe(7);
    expect(parseWorkerCount(0, 8)).toBe(0);
    expect(parseWorkerCount(3, 2)).toBe(3);
    expect(createMessageParser(0)).toBe(inThreadParser);
  });
});
