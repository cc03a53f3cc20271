/**
 * Is a file an email message, an mbox, or something else? Decided from its first bytes before
 * an import stores anything, so a photo or a note that sits among exported mail is refused with
 * a reason instead of being filed as an empty message. Pure: bytes in, verdict out.
 *
 * A message is RFC 5322 text: it starts with a header block ("Name: value" lines, continuation
 * lines indented) that has at least one of the fields every mail carries. The file's name plays
 * no part: exports name messages .eml, .msg, .txt, .mail or nothing at all.
 */

/** `reason` says what the file is instead ("a JPEG image", "binary data", "no header block: …"). */
export type SniffResult = { kind: 'message' } | { kind: 'mbox' } | { kind: 'not-mail'; reason: string };

/** How much of a file the sniff needs (a header block longer than this is cut, not refused). */
export const SNIFF_BYTES = 64 * 1024;

const SIGNATURES: [bytes: number[], what: string][] = [
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0x47, 0x49, 0x46, 0x38], 'a GIF image'],
  [[0x25, 0x50, 0x44, 0x46], 'a PDF document'],
  [[0x50, 0x4b, 0x03, 0x04], 'a ZIP archive (or an Office document)'],
  [[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], 'an Outlook .msg or old Office file, not MIME mail (save the message as .eml)'],
  [[0x1f, 0x8b], 'a gzip archive (unpack it first)'],
  [[0x42, 0x5a, 0x68], 'a bzip2 archive (unpack it first)'],
  [[0x7f, 0x45, 0x4c, 0x46], 'a program (ELF)'],
  [[0x52, 0x49, 0x46, 0x46], 'audio or video (RIFF)'],
  [[0x49, 0x44, 0x33], 'an MP3 file'],
];

/** Fields that a mail's header block has; one of them is enough. */
const MAIL_FIELDS = new Set(['from', 'to', 'cc', 'subject', 'date', 'message-id', 'received', 'return-path', 'delivered-to', 'mime-version', 'reply-to', 'sender', 'in-reply-to', 'references', 'x-mailer', 'content-type']);

const HEADER_LINE = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;

function startsWith(head: Uint8Array, bytes: number[]): boolean {
  return head.length >= bytes.length && bytes.every((b, i) => head[i] === b);
}

/** Control bytes that text (including mail in any charset) does not contain. */
function looksBinary(head: Uint8Array): boolean {
  let odd = 0;
  for (const b of head) {
    if (b === 0) return true;
    // Tab, LF, FF, CR and ESC (ISO-2022-JP) occur in text; other C0 controls do not.
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d && b !== 0x1b) odd++;
  }
  return odd > Math.max(2, head.length / 100);
}

function firstLineOf(text: string): string {
  const line = text.split(/\r?\n/, 1)[0] ?? '';
  return line.length > 40 ? `${line.slice(0, 40)}…` : line;
}

/** `head`: the first bytes of the file (SNIFF_BYTES, or all of a shorter file). */
export function sniffMailFile(head: Uint8Array): SniffResult {
  if (head.length === 0) return { kind: 'not-mail', reason: 'empty file' };
  for (const [bytes, what] of SIGNATURES) if (startsWith(head, bytes)) return { kind: 'not-mail', reason: what };
  const text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('latin1').replace(/^\xef\xbb\xbf/, '');
  if (text.trim() === '') return { kind: 'not-mail', reason: 'only blank lines' };
  if (text.startsWith('From ')) return { kind: 'mbox' };
  const lines = text.split(/\r?\n/);
  // Broken mail may carry stray control bytes (even NULs) in its body: the header block decides,
  // and binary-looking bytes only say why a file without one is refused.
  if (!HEADER_LINE.test(lines[0]!)) {
    if (looksBinary(head)) return { kind: 'not-mail', reason: 'binary data' };
    return { kind: 'not-mail', reason: `no header block: the first line is not a "Name: value" header (${JSON.stringify(firstLineOf(text))})` };
  }
  const fields: string[] = [];
  for (const line of lines) {
    if (line === '') break;
    if (/^[ \t]/.test(line)) continue;
    const m = HEADER_LINE.exec(line);
    if (!m) break;
    fields.push(m[1]!.toLowerCase());
  }
  if (!fields.some((f) => MAIL_FIELDS.has(f))) {
    return { kind: 'not-mail', reason: `no mail headers (From, To, Subject, Date, Message-ID…) in its header block (found ${fields.slice(0, 4).join(', ')})` };
  }
  return { kind: 'message' };
}
