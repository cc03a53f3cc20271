import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseMessage, getHeader, UnparseableMessageError, htmlToText, type ParsedMessage } from '../../src/ingest/parse-message.ts';
import { decodeBytes, repairBinaryHeaderLine, guessCharset } from '../../src/ingest/charset.ts';
import { unpackTnef } from '../../src/ingest/tnef.ts';

const fx = (name: string) => readFileSync(new URL(`../fixtures/mail/${name}`, import.meta.url));

describe('parseMessage on the fixtures', () => {
  it('08: ISO-8859-1 body and encoded-word subject/sender decode to æøå', async () => {
    const m = await parseMessage(fx('08-latin1-nb.eml'));
    expect(m.from).toEqual({ address: 'bjorn.aero@privat.example', name: 'Bjørn Ærø' });
    expect(m.subject).toBe('Varmepanel på badet virker ikke - garanti?');
    expect(m.text).toContain('Varmepanelet på badet har sluttet å virke etter strømbruddet i går.');
    expect(m.text).not.toContain('\ufffd');
    expect(m.problems).toEqual([]);
  });

  it('09: HTML-only mail gets text; inline image kept as attachment', async () => {
    const m = await parseMessage(fx('09-html-inline-image-en.eml'));
    expect(m.text).toContain('The controller shows this error code after the firmware update');
    expect(m.text).toContain('Tom Jensen');
    expect(m.html).toContain('cid:err1@customer');
    expect(m.attachments).toHaveLength(1);
    const a = m.attachments[0];
    expect(a).toMatchObject({ filename: 'error.png', contentType: 'image/png', contentId: 'err1@customer', inline: true });
    expect(a.size).toBe(a.content!.length);
    expect(a.sha256).toBe(createHash('sha256').update(a.content!).digest('hex'));
  });

  it('10: PDF attachment with name, type, size and sha256', async () => {
    const m = await parseMessage(fx('10-order-attachment-nb.eml'));
    expect(m.text).toContain('bestilling nr. 4471');
    expect(m.attachments).toHaveLength(1);
    const a = m.attachments[0];
    const pdf = Buffer.from('JVBERi0xLjQKMSAwIG9iajw8Pj5lbmRvYmoKdHJhaWxlcjw8Pj4KJSVFT0YK', 'base64');
    expect(a).toMatchObject({ filename: 'bestilling-4471.pdf', contentType: 'application/pdf', size: pdf.length, inline: false });
    expect(a.sha256).toBe(createHash('sha256').update(pdf).digest('hex'));
    expect(a.content!.equals(pdf)).toBe(true);
  });

  it('12: malformed mail does not crash and lists its problems', async () => {
    const m = await parseMessage(fx('12-malformed.eml'));
    expect(m.subject).toBe('Hello help');
    expect(m.to[0].address).toBe('post@infracomfort.example');
    expect(m.date).toBeUndefined();
    const p = m.problems.join('\n');
    expect(p).toMatch(/invalid base64/);
    expect(p).toMatch(/unknown charset "klingon"/);
    expect(p).toMatch(/header line without a name\/colon/);
    expect(p).toMatch(/From address not valid/);
    expect(p).toMatch(/Date not parsable/);
    expect(p).toMatch(/x-unknown-charset/);
    expect(m.attachments.length).toBeGreaterThanOrEqual(1);
  });

  it('headers map is lowercase and exposes what the recogniser needs', async () => {
    const m = await parseMessage(fx('06-out-of-office-nb.eml'));
    expect(getHeader(m, 'Auto-Submitted')).toBe('auto-replied');
    expect(m.headers['x-autoreply']).toBe('yes');
    expect(m.subject).toBe('Fraværsmelding: Driftsmelding: planlagt vedlikehold');
    expect(m.messageId).toBe('<fixture-06@mail.customer.example>');
  });

  it('every mail fixture parses', async () => {
    for (const n of ['01-support-nb.eml', '02-quote-request-en.eml', '03-privacy-access-nb.eml', '04-privacy-erasure-en.eml', '05-reply-to-ticket-nb.eml', '07-bounce-dsn.eml', '11-unsubscribe-reply-nb.eml', '13-privacy-rectify-nb.eml']) {
      const m = await parseMessage(fx(n));
      expect(m.from?.address, n).toMatch(/@/);
      expect(m.text.length, n).toBeGreaterThan(0);
    }
  });

  it('accepts a Readable as input', async () => {
    const m = await parseMessage(Readable.from([fx('08-latin1-nb.eml')]));
    expect(m.subject).toBe('Varmepanel på badet virker ikke - garanti?');
  });
});

describe('charset repair', () => {
  const mail = (ct: string, body: Buffer, extraHeaders = '') =>
    Buffer.concat([Buffer.from(`From: a@b.example\r\nTo: c@d.example\r\nSubject: x\r\n${extraHeaders}${ct}Content-Transfer-Encoding: 8bit\r\n\r\n`), body]);

  it('8-bit body without charset: windows-1252, not U+FFFD', async () => {
    const m = await parseMessage(mail('Content-Type: text/plain\r\n', Buffer.from('Hei på deg, Ærlig talt – søndag\r\n', 'latin1')));
    expect(m.text).toContain('Hei på deg, Ærlig talt');
    expect(m.text).not.toContain('\ufffd');
    expect(m.problems.join()).toMatch(/decoded as windows-1252/);
  });

  it('8-bit UTF-8 body without charset stays UTF-8', async () => {
    const m = await parseMessage(mail('Content-Type: text/plain\r\n', Buffer.from('Blåbærsyltetøy\r\n', 'utf8')));
    expect(m.text.trim()).toBe('Blåbærsyltetøy');
  });

  it('latin1 bytes declared utf-8 are re-decoded', async () => {
    const m = await parseMessage(mail('Content-Type: text/plain; charset=utf-8\r\n', Buffer.from('Vær så snill\r\n', 'latin1')));
    expect(m.text.trim()).toBe('Vær så snill');
  });

  it('unknown charset is guessed from the bytes', async () => {
    const m = await parseMessage(mail('Content-Type: text/plain; charset=x-bogus\r\n', Buffer.from('Gjør det på fredag\r\n', 'latin1')));
    expect(m.text.trim()).toBe('Gjør det på fredag');
    expect(m.problems.join()).toMatch(/unknown charset "x-bogus"/);
  });

  it('raw 8-bit headers (latin1) are repaired', async () => {
    const raw = Buffer.concat([
      Buffer.from('From: Bj\xf8rn \xc6r\xf8 <b@x.example>\r\nSubject: Feil p\xe5 anlegget\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhei\r\n', 'latin1'),
    ]);
    const m = await parseMessage(raw);
    expect(m.from?.name).toBe('Bjørn Ærø');
    expect(m.subject).toBe('Feil på anlegget');
  });

  it('unit helpers', () => {
    expect(decodeBytes(Buffer.from('æøå', 'latin1')).text).toBe('æøå');
    expect(decodeBytes(Buffer.from('æøå', 'utf8')).text).toBe('æøå');
    expect(decodeBytes(Buffer.from('\xe6', 'latin1'), 'iso-8859-1')).toMatchObject({ text: 'æ', guessed: false });
    expect(guessCharset(Buffer.from('plain ascii'))).toBe('utf-8');
    expect(repairBinaryHeaderLine('Subject: p\xe5')).toBe(Buffer.from('Subject: på', 'utf8').toString('latin1'));
    expect(htmlToText('<p>a&amp;b</p><p>c&nbsp;d<br>e</p>')).toBe('a&b\n\nc d\ne');
  });
});

describe('attachments: streaming, limits, sink', () => {
  const big = (size: number) => {
    const content = Buffer.alloc(size);
    for (let i = 0; i < size; i++) content[i] = (i * 31 + 7) & 0xff;
    const b64 = content.toString('base64').replace(/.{76}/g, '$&\r\n');
    const raw = Buffer.from(
      'From: a@b.example\r\nTo: c@d.example\r\nSubject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="XX"\r\n\r\n' +
        '--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n' +
        '--XX\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="data.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
        b64 +
        '\r\n--XX--\r\n',
    );
    return { content, raw };
  };

  it('small attachments are buffered, large ones go to the sink with correct hash/size', async () => {
    const { content, raw } = big(300_000);
    let received = 0;
    const h = createHash('sha256');
    const m = await parseMessage(raw, {
      maxBufferedAttachmentBytes: 64 * 1024,
      onAttachment: async (meta, stream) => {
        expect(meta.filename).toBe('data.bin');
        await pipeline(
          stream,
          new Writable({
            write(chunk: Buffer, _e, cb) {
              received += chunk.length;
              h.update(chunk);
              setImmediate(cb); // a slow consumer: back-pressure must hold
            },
          }),
        );
        return 'stored-key-1';
      },
    });
    const a = m.attachments[0];
    expect(a.content).toBeUndefined();
    expect(a.stored).toBe('stored-key-1');
    expect(a.size).toBe(content.length);
    expect(received).toBe(content.length);
    expect(a.sha256).toBe(createHash('sha256').update(content).digest('hex'));
    expect(h.digest('hex')).toBe(a.sha256);
    expect(m.text.trim()).toBe('See attached.');
  });

  it('without a sink the default buffers everything', async () => {
    const { content, raw } = big(200_000);
    const m = await parseMessage(raw, { maxBufferedAttachmentBytes: 1024 });
    expect(m.attachments[0].content!.equals(content)).toBe(true);
  });

  it('a failing sink is a problem, not a crash', async () => {
    const { content, raw } = big(100_000);
    const m = await parseMessage(raw, {
      maxBufferedAttachmentBytes: 1024,
      onAttachment: async (_meta, stream) => {
        stream.destroy();
        throw new Error('disk full');
      },
    });
    expect(m.attachments[0].size).toBe(content.length);
    expect(m.problems.join()).toMatch(/sink failed: disk full/);
  });

  it('a 25 MB attachment streamed to a sink keeps memory bounded', async () => {
    const { raw } = big(25 * 1024 * 1024);
    global.gc?.();
    const before = process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed;
    let peak = 0;
    const m = await parseMessage(Readable.from(chunks(raw, 64 * 1024)), {
      onAttachment: async (_meta, stream) => {
        for await (const _c of stream) {
          const now = process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed;
          if (now > peak) peak = now;
        }
      },
      maxBufferedAttachmentBytes: 1024 * 1024,
    });
    expect(m.attachments[0].size).toBe(25 * 1024 * 1024);
    // the raw input (≈34 MB of base64) is held by this test; the parse itself must not
    // add anything near a second copy of the attachment
    expect(peak - before).toBeLessThan(40 * 1024 * 1024);
  }, 60_000);

  it('typical 10 KB mail parses fast', async () => {
    const body = 'Hei, dette er en helt vanlig e-post. '.repeat(280);
    const raw = Buffer.from(`From: a@b.example\r\nTo: c@d.example\r\nSubject: vanlig\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`);
    await parseMessage(raw); // warm-up
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) await parseMessage(raw);
    expect((performance.now() - t0) / 50).toBeLessThan(20);
  });
});

function* chunks(buf: Buffer, size: number) {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

describe('TNEF (winmail.dat)', () => {
  const tnefFile = readFileSync(new URL('../fixtures/tnef/attachments.dat', import.meta.url));

  it('unpackTnef extracts files with their long names', () => {
    const r = unpackTnef(tnefFile);
    expect(r.attachments.map((a) => a.filename)).toEqual(['zappa_av1.jpg', 'bookmark.htm']);
    expect(r.attachments.map((a) => a.content.length)).toEqual([2937, 85805]);
    expect(unpackTnef(Buffer.from('not tnef')).problems[0]).toMatch(/not a TNEF/);
    // truncated: what was complete, plus a problem, never a throw
    const cut = unpackTnef(tnefFile.subarray(0, 5000));
    expect(cut.problems.join()).toMatch(/truncated/);
  });

  it('a winmail.dat attachment is replaced by its files', async () => {
    const raw = Buffer.from(
      'From: a@b.example\r\nTo: c@d.example\r\nSubject: tnef\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="XX"\r\n\r\n' +
        '--XX\r\nContent-Type: text/plain\r\n\r\nhello\r\n' +
        '--XX\r\nContent-Type: application/ms-tnef; name="winmail.dat"\r\nContent-Disposition: attachment; filename="winmail.dat"\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
        tnefFile.toString('base64').replace(/.{76}/g, '$&\r\n') +
        '\r\n--XX--\r\n',
    );
    const m = await parseMessage(raw);
    expect(m.attachments.map((a) => a.filename)).toEqual(['zappa_av1.jpg', 'bookmark.htm']);
    expect(m.attachments.every((a) => a.fromTnef && a.sha256.length === 64)).toBe(true);
  });
});

describe('unparseable input', () => {
  it('empty input throws the typed error', async () => {
    await expect(parseMessage(Buffer.alloc(0))).rejects.toBeInstanceOf(UnparseableMessageError);
  });

  it('binary junk does not crash', async () => {
    const junk = Buffer.alloc(4096);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 131 + 17) & 0xff;
    const r = await parseMessage(junk).catch((e: unknown) => e);
    if (r instanceof Error) expect(r).toBeInstanceOf(UnparseableMessageError);
    else expect(Array.isArray((r as ParsedMessage).problems)).toBe(true);
  });

  it('a source stream failing mid-attachment keeps what arrived, with a problem', async () => {
    const s = new Readable({ read() {} });
    s.push(
      'From: a@b.example\r\nSubject: half\r\nContent-Type: multipart/mixed; boundary="X"\r\n\r\n--X\r\nContent-Type: text/plain\r\n\r\nhi\r\n' +
        '--X\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
        'QUJD'.repeat(5000) +
        '\r\n',
    );
    setTimeout(() => s.destroy(new Error('connection reset')), 30);
    const m = await parseMessage(s, { maxBufferedAttachmentBytes: 100, onAttachment: async (_m, st) => { for await (const _c of st) { /* drain */ } return 'k'; } });
    expect(m.problems.join()).toMatch(/input stream failed: connection reset/);
    expect(m.subject).toBe('half');
    expect(m.text.trim()).toBe('hi');
    expect(m.attachments[0]).toMatchObject({ size: 15000, stored: 'k' });
  });
});
