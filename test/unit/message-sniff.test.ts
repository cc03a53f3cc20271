import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sniffMailFile } from '../../src/ingest/message-sniff.ts';

const bytes = (s: string | number[]) => (typeof s === 'string' ? Buffer.from(s, 'latin1') : Buffer.from(s));
const fixture = (name: string) => readFileSync(path.resolve('test/fixtures/mail', name));

describe('sniffMailFile', () => {
  it('messages by their header block, whatever the body holds', () => {
    expect(sniffMailFile(bytes('Received: from mx\r\nSubject: Hei\r\n\r\nTekst'))).toEqual({ kind: 'message' });
    // A header without a colon, invalid base64 and control bytes further down are still mail.
    expect(sniffMailFile(fixture('12-malformed.eml'))).toEqual({ kind: 'message' });
    expect(sniffMailFile(fixture('08-latin1-nb.eml'))).toEqual({ kind: 'message' });
    expect(sniffMailFile(bytes('From: a@b.example\nX: \x00\x01\x02\n\nbody\x00'))).toEqual({ kind: 'message' });
  });

  it('mbox by its first "From " line', () => {
    expect(sniffMailFile(bytes('From a@b.example Mon Jan  1 10:00:00 2024\nFrom: a@b.example\n\nx\n'))).toEqual({ kind: 'mbox' });
  });

  it('other files with what they are', () => {
    expect(sniffMailFile(bytes([]))).toEqual({ kind: 'not-mail', reason: 'empty file' });
    expect(sniffMailFile(bytes([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31]))).toEqual({ kind: 'not-mail', reason: 'a PDF document' });
    expect(sniffMailFile(bytes([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0]))).toMatchObject({ reason: expect.stringMatching(/Outlook \.msg/) });
    expect(sniffMailFile(bytes([1, 2, 3, 0, 200, 17, 18, 19, 20]))).toEqual({ kind: 'not-mail', reason: 'binary data' });
    expect(sniffMailFile(bytes('\n\n  \n'))).toEqual({ kind: 'not-mail', reason: 'only blank lines' });
    expect(sniffMailFile(bytes('navn;epost\nKari;kari@x.example\n'))).toMatchObject({ reason: expect.stringMatching(/^no header block/) });
    expect(sniffMailFile(bytes('Title: Referat\nAuthor: Kari\n\nTekst'))).toMatchObject({ reason: expect.stringMatching(/^no mail headers/) });
  });
});
