/**
 * Charset repair for mail text that is 8-bit but either declares no charset, declares
 * us-ascii/utf-8 while its bytes are not UTF-8, or declares a charset nobody knows.
 *
 * mailparser reads such text as UTF-8 and every æøå becomes U+FFFD. The raw bytes are the
 * only truth left, so we decode them again: UTF-8 when the bytes are valid UTF-8, otherwise
 * windows-1252 (a superset of ISO-8859-1 and what Norwegian mail without a charset almost
 * always is). chardet is consulted only for the multi-byte East Asian charsets, which a
 * single-byte guess would turn into mojibake; its single-byte guesses (ISO-8859-2, KOI8-R…)
 * are wrong for short Norwegian texts far more often than they are right.
 */
import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import chardet from 'chardet';

/** Charsets whose names mean "plain ASCII or UTF-8"; 8-bit content under them is suspect. */
const UTF8_LIKE = new Set(['', 'ascii', 'usascii', 'utf8', '7bit', '8bit', 'ansix3.41968', 'us']);

/** chardet guesses we trust (multi-byte, distinctive byte patterns). */
const TRUSTED_GUESSES = new Set(['Shift_JIS', 'EUC-JP', 'ISO-2022-JP', 'GB18030', 'Big5', 'EUC-KR']);

/** The single-byte fallback for text that is not UTF-8. */
export const FALLBACK_CHARSET = 'windows-1252';

function normName(charset: string | undefined | null): string {
  return (charset ?? '').trim().toLowerCase().replace(/[^a-z0-9.]/g, '');
}

/** True when the charset name means ASCII/UTF-8 (or nothing at all). */
export function isUtf8Like(charset: string | undefined | null): boolean {
  return UTF8_LIKE.has(normName(charset));
}

/** True when iconv-lite can decode this charset (ISO-2022-JP is handled by the caller). */
export function isKnownCharset(charset: string | undefined | null): boolean {
  if (!charset) return false;
  try {
    return iconv.encodingExists(charset.trim());
  } catch {
    return false;
  }
}

/** Strict UTF-8 validity (rejects overlongs and surrogates): Node's simdutf check, no decoding. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  return isUtf8(bytes);
}

/** ISO-2022-JP is 7-bit: ESC $ B / ESC $ @ / ESC ( J sequences give it away. */
export function looksLikeIso2022Jp(bytes: Uint8Array): boolean {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return b.includes('\x1b$B', 0, 'latin1') || b.includes('\x1b$@', 0, 'latin1');
}

/**
 * Guess the charset of bytes that have no trustworthy label: 'utf-8' when valid, a trusted
 * multi-byte guess from chardet, else windows-1252.
 */
export function guessCharset(bytes: Uint8Array): string {
  if (looksLikeIso2022Jp(bytes)) return 'ISO-2022-JP';
  if (isValidUtf8(bytes)) return 'utf-8';
  try {
    // only long enough samples with a confident multi-byte guess; short junk (e.g. what
    // invalid base64 decodes to) otherwise comes out as "Shift_JIS"
    if (bytes.length >= 32) {
      const best = chardet.analyse(bytes)[0];
      if (best && best.confidence >= 70 && TRUSTED_GUESSES.has(best.name)) return best.name;
    }
  } catch {
    /* fall through */
  }
  return FALLBACK_CHARSET;
}

export interface DecodeResult {
  text: string;
  /** charset actually used */
  charset: string;
  /** set when the declared charset was missing/wrong/unknown and a guess was used */
  guessed: boolean;
}

/**
 * Decode bytes labelled `declared` (may be empty). A known, non-UTF-8 label is honoured; a
 * UTF-8-like, missing or unknown label gets the guess above. ISO-2022-JP and other charsets
 * iconv-lite lacks are returned undecoded via `charset` so the caller can route them to
 * libmime (mailparser's decoder), which knows them.
 */
export function decodeBytes(bytes: Uint8Array, declared?: string | null): DecodeResult {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (declared && !isUtf8Like(declared) && isKnownCharset(declared)) {
    return { text: iconv.decode(buf, declared.trim()), charset: declared.trim(), guessed: false };
  }
  const cs = guessCharset(buf);
  const guessed = !(cs === 'utf-8' && (isUtf8Like(declared) || !declared));
  if (cs === 'utf-8') return { text: buf.toString('utf8'), charset: cs, guessed };
  if (isKnownCharset(cs)) return { text: iconv.decode(buf, cs), charset: cs, guessed };
  // not decodable here (ISO-2022-JP): best effort as latin1, caller may redo it
  return { text: buf.toString('latin1'), charset: cs, guessed };
}

/**
 * decodeBytes, but to UTF-8 bytes: text that already is valid UTF-8 (nearly all mail) comes
 * back as the same bytes, without the round trip through a string.
 */
export function decodeToUtf8(bytes: Uint8Array, declared?: string | null): { utf8: Buffer; charset: string; guessed: boolean } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const labelled = !!declared && !isUtf8Like(declared) && isKnownCharset(declared);
  if (!labelled && guessCharset(buf) === 'utf-8') return { utf8: buf, charset: 'utf-8', guessed: !(isUtf8Like(declared) || !declared) };
  const r = decodeBytes(bytes, declared);
  return { utf8: Buffer.from(r.text, 'utf8'), charset: r.charset, guessed: r.guessed };
}

/**
 * Repair one raw header line as mailsplit gives it (a "binary" string, one char per byte):
 * raw 8-bit bytes that are not UTF-8 are re-encoded from windows-1252 to UTF-8, so that
 * mailparser's own `Buffer.from(value, 'binary').toString()` yields the right text.
 * Returns the line unchanged when it is ASCII or already valid UTF-8.
 */
export function repairBinaryHeaderLine(line: string): string {
  if (!/[\x80-\xff]/.test(line)) return line;
  const bytes = Buffer.from(line, 'latin1');
  if (isValidUtf8(bytes)) return line;
  const cs = guessCharset(bytes);
  let text: string;
  if (cs !== 'utf-8' && isKnownCharset(cs)) text = iconv.decode(bytes, cs);
  else text = iconv.decode(bytes, FALLBACK_CHARSET);
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Count of U+FFFD replacement characters: a cheap "did decoding go wrong" signal. */
export function replacementCount(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\ufffd'); i !== -1; i = text.indexOf('\ufffd', i + 1)) n++;
  return n;
}
