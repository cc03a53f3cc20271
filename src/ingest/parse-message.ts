/**
 * Parse one raw email into a plain ParsedMessage with mailparser's streaming MailParser.
 *
 * - Attachments are streamed: sha256 and size are computed on the fly; content is kept in a
 *   Buffer only up to `maxBufferedAttachmentBytes`. A larger attachment is handed, as a
 *   stream, to `onAttachment(meta, stream)` when the caller gives one (so a 25 MB file can go
 *   straight to storage); without a sink the default is to buffer it.
 * - Text whose charset is missing, wrong (8-bit under us-ascii/utf-8) or unknown is
 *   re-decoded from its raw bytes (see charset.ts). Raw 8-bit header bytes likewise.
 * - winmail.dat (TNEF) attachments are replaced by the files inside them (see tnef.ts).
 * - Never throws on malformed input: what could be decoded is returned with `problems`.
 *   Only when nothing at all is usable does it throw UnparseableMessageError.
 */
import { Readable, PassThrough } from 'node:stream';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { MailParser } from 'mailparser';
import type { AddressObject, EmailAddress, HeaderLines } from 'mailparser';
import { decodeToUtf8, isKnownCharset, isUtf8Like, repairBinaryHeaderLine, replacementCount, looksLikeIso2022Jp } from './charset.ts';
import { looksLikeTnefPart, unpackTnef } from './tnef.ts';

export interface ParsedAddress {
  address: string;
  name: string;
}

export interface ParsedAttachment {
  filename?: string;
  contentType: string;
  size: number;
  /** hex sha256 of the decoded content */
  sha256: string;
  /** Content-ID without angle brackets */
  contentId?: string;
  /** shown inline (Content-Disposition: inline, or a cid-referenced part of multipart/related) */
  inline: boolean;
  /** the content, when it was buffered (≤ limit, or no sink given) */
  content?: Buffer;
  /** what onAttachment returned, when the content went to the sink */
  stored?: unknown;
  /** IMAP-style part number, e.g. "2" or "1.2" */
  partId?: string;
  /** set on files that came out of a winmail.dat */
  fromTnef?: boolean;
}

export interface AttachmentMeta {
  index: number;
  filename?: string;
  contentType: string;
  contentId?: string;
  inline: boolean;
  partId?: string;
}

/**
 * Receives an attachment too large to buffer. Must consume `stream` (or destroy it); the
 * returned value (e.g. a storage key) is kept as `ParsedAttachment.stored`.
 */
export type AttachmentSink = (meta: AttachmentMeta, stream: Readable) => Promise<unknown> | unknown;

export interface ParseOptions {
  /** attachments up to this size are kept in memory as `content`. Default 10 MiB. */
  maxBufferedAttachmentBytes?: number;
  /** sink for larger attachments; without it they are buffered too. */
  onAttachment?: AttachmentSink;
  /** unpack winmail.dat into its files (default true) */
  unpackTnef?: boolean;
}

export type HeaderMap = Record<string, string | string[]>;

export interface ParsedMessage {
  messageId?: string;
  inReplyTo?: string;
  references: string[];
  from?: ParsedAddress;
  to: ParsedAddress[];
  cc: ParsedAddress[];
  replyTo: ParsedAddress[];
  subject: string;
  /** undefined when the Date header is missing or unparsable */
  date?: Date;
  text: string;
  html?: string;
  /**
   * Top-level headers, keys lowercased, values unfolded and trimmed (not encoded-word
   * decoded; raw 8-bit repaired to UTF-8). Repeated headers become arrays, in order.
   */
  headers: HeaderMap;
  /** Content-Type of the top-level entity, lowercased, e.g. "multipart/report" */
  contentType: string;
  /** parameters of the top-level Content-Type (report-type, boundary, charset…) */
  contentTypeParams: Record<string, string>;
  attachments: ParsedAttachment[];
  problems: string[];
}

export class UnparseableMessageError extends Error {
  readonly problems: string[];
  constructor(message: string, problems: string[] = []) {
    super(message);
    this.name = 'UnparseableMessageError';
    this.problems = problems;
  }
}

/** First value of a header (case-insensitive). */
export function getHeader(msg: Pick<ParsedMessage, 'headers'>, name: string): string | undefined {
  const v = msg.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** All values of a header (case-insensitive). */
export function getHeaders(msg: Pick<ParsedMessage, 'headers'>, name: string): string[] {
  const v = msg.headers[name.toLowerCase()];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

const DEFAULT_MAX_BUFFERED = 10 * 1024 * 1024;

/** Marker charset: "no trustworthy label, guess from the bytes". */
const GUESS_CHARSET = 'x-mailroom-guess';

type DecodeStreamFactory = { decodeStream(charset: string): NodeJS.ReadWriteStream & { supported?: boolean } };

/**
 * A decode stream that collects the (text part) bytes and decodes them in one go once it
 * knows them all: UTF-8 if valid, else a guess. Text parts are buffered by mailparser
 * anyway, so this costs no extra memory of note.
 */
class GuessingDecodeStream extends PassThrough {
  private chunks: Buffer[] = [];
  constructor(
    private readonly declared: string | undefined,
    private readonly fallback: DecodeStreamFactory,
    private readonly report: (p: string) => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.chunks.push(chunk);
    done();
  }
  override _flush(done: (err?: Error | null, data?: unknown) => void): void {
    const bytes = Buffer.concat(this.chunks);
    this.chunks = [];
    if (looksLikeIso2022Jp(bytes)) {
      // iconv-lite lacks ISO-2022-JP; mailparser's libmime decoder has it
      const s = this.fallback.decodeStream('ISO-2022-JP');
      const out: Buffer[] = [];
      s.on('data', (c: Buffer | string) => out.push(Buffer.isBuffer(c) ? c : Buffer.from(c)));
      s.on('end', () => {
        this.push(Buffer.concat(out));
        done();
      });
      s.on('error', () => {
        this.push(bytes);
        done();
      });
      s.end(bytes);
      return;
    }
    const r = decodeToUtf8(bytes, this.declared);
    if (r.guessed) {
      this.report(
        this.declared && !isUtf8Like(this.declared)
          ? `unknown charset "${this.declared}", decoded as ${r.charset}`
          : `8-bit text ${this.declared ? `declared ${this.declared}` : 'without charset'} decoded as ${r.charset}`,
      );
    }
    this.push(r.utf8);
    done();
  }
}

const ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', aring: 'å', Aring: 'Å', oslash: 'ø',
  Oslash: 'Ø', aelig: 'æ', AElig: 'Æ', auml: 'ä', ouml: 'ö', uuml: 'ü', Auml: 'Ä', Ouml: 'Ö', Uuml: 'Ü',
  eacute: 'é', egrave: 'è', copy: '©', reg: '®', euro: '€', ndash: '–', mdash: '—', hellip: '…',
  laquo: '«', raquo: '»', rsquo: '’', lsquo: '‘', rdquo: '”', ldquo: '“', szlig: 'ß',
};

/**
 * Small HTML → text for HTML-only mail (kept here rather than importing mailparser's private
 * html-to-text dependency): drops head/style/script, turns block ends and <br> into newlines,
 * strips tags, decodes common entities, collapses whitespace.
 */
export function htmlToText(html: string): string {
  return html
    .replace(/<(head|style|script|title)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|tr|li|h[1-6]|table|blockquote|pre)\s*>/gi, '\n')
    .replace(/<(p|div|tr|li|h[1-6]|table|blockquote)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return Number.isFinite(cp) && cp > 0 && cp < 0x110000 ? String.fromCodePoint(cp) : m;
      }
      return ENTITIES[e] ?? m;
    })
    .replace(/[ \t\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const TEXT_TYPES = new Set(['text/plain', 'text/html']);
const BAD_BASE64 = /[^A-Za-z0-9+/=\s]/;

/**
 * MailParser with three repairs hooked into its (stable, long-standing) internal methods:
 * getDecoder (charset guessing), createNode (mark text parts that need a guess) and
 * processHeaders (raw 8-bit header bytes).
 */
class MailroomParser extends MailParser {
  // declared without initialiser: the decoder closure (made inside super()) fills it lazily
  declare mailroomProblems: string[];

  constructor() {
    super({
      keepDeliveryStatus: true, // DSN parts become attachments, the recogniser reads them
      checksumAlgo: false, // we hash ourselves (sha256) while streaming
      skipTextToHtml: true,
      skipTextLinks: true,
      skipImageLinks: true,
      maxHtmlLengthToParse: 5 * 1024 * 1024,
    });
  }

  /** @internal mailparser hook */
  getDecoder(): DecodeStreamFactory {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    const original = (MailParser.prototype as unknown as { getDecoder(): DecodeStreamFactory }).getDecoder.call(this);
    return {
      decodeStream(charset: string) {
        const report = (p: string) => {
          (self.mailroomProblems ??= []).push(p);
        };
        if (charset.startsWith(GUESS_CHARSET)) {
          const declared = charset.slice(GUESS_CHARSET.length + 1) || undefined;
          return new GuessingDecodeStream(declared, original, report);
        }
        const s = original.decodeStream(charset);
        if (s.supported === false) return new GuessingDecodeStream(charset, original, report);
        return s;
      },
    };
  }

  /** @internal mailparser hook */
  createNode(node: unknown): Record<string, unknown> {
    const n = (MailParser.prototype as unknown as { createNode(n: unknown): Record<string, unknown> }).createNode.call(
      this,
      node,
    );
    const ct = n.contentType as string | undefined;
    if (!n.isAttachment && ct && TEXT_TYPES.has(ct)) {
      const cs = n.charset as string | undefined;
      if (!cs || isUtf8Like(cs)) n.charset = `${GUESS_CHARSET}:${cs ?? ''}`;
    }
    return n;
  }

  /** @internal mailparser hook: notice invalid base64 (mailsplit silently skips bad characters) */
  processChunk(data: { type: string; node?: { encoding?: string; partNr?: unknown[] }; value?: Buffer }, done: (err?: Error) => void): void {
    if (data.type === 'body' && data.node && data.node.encoding === 'base64' && data.value) {
      const node = data.node as object;
      if (!this.badBase64Nodes?.has(node) && BAD_BASE64.test(data.value.toString('latin1'))) {
        (this.badBase64Nodes ??= new WeakSet()).add(node);
        const part = (data.node.partNr ?? []).filter((x) => typeof x === 'number').join('.') || '1';
        (this.mailroomProblems ??= []).push(`invalid base64 in part ${part}`);
      }
    }
    (MailParser.prototype as unknown as { processChunk(d: unknown, cb: unknown): void }).processChunk.call(this, data, done);
  }
  declare badBase64Nodes: WeakSet<object>;

  /** @internal mailparser hook */
  processHeaders(lines: { key: string; line: string }[]): unknown {
    for (const l of lines ?? []) {
      if (typeof l.line === 'string') l.line = repairBinaryHeaderLine(l.line);
    }
    return (MailParser.prototype as unknown as { processHeaders(l: unknown): unknown }).processHeaders.call(this, lines);
  }
}

function toAddresses(v: AddressObject | AddressObject[] | undefined): ParsedAddress[] {
  if (!v) return [];
  const out: ParsedAddress[] = [];
  const walk = (list: EmailAddress[]) => {
    for (const a of list) {
      if (a.group) walk(a.group);
      else if (a.address || a.name) out.push({ address: (a.address ?? '').trim(), name: (a.name ?? '').trim() });
    }
  };
  for (const o of Array.isArray(v) ? v : [v]) walk(o.value ?? []);
  return out;
}

const ADDR_RE = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$|^[^\s@<>()",;:]+@[a-z0-9-]+$/i;

function headerMapFrom(lines: HeaderLines | false | undefined, problems: string[]): HeaderMap {
  const map: HeaderMap = {};
  for (const hl of lines || []) {
    const line = hl.line ?? '';
    const idx = line.indexOf(':');
    if (idx <= 0 || !/^[!-9;-~]+$/.test(line.slice(0, idx).trim())) {
      problems.push(`header line without a name/colon: ${JSON.stringify(line.slice(0, 60))}`);
      continue;
    }
    const key = line.slice(0, idx).trim().toLowerCase();
    let value = line
      .slice(idx + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim();
    if (/[\x80-\xff]/.test(value)) value = Buffer.from(value, 'latin1').toString('utf8');
    const prev = map[key];
    if (prev === undefined) map[key] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else map[key] = [prev, value];
  }
  return map;
}

function parseContentType(value: string | undefined): { type: string; params: Record<string, string> } {
  if (!value) return { type: 'text/plain', params: {} };
  const [first, ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const m = /^\s*([^=\s]+)\s*=\s*"?([^"]*)"?\s*$/.exec(p);
    if (m) params[m[1].toLowerCase()] = m[2];
  }
  return { type: (first || 'text/plain').trim().toLowerCase(), params };
}

interface AttachmentStreamLike {
  content: Readable;
  contentType: string;
  filename?: string;
  contentDisposition?: string;
  contentId?: string;
  cid?: string;
  related?: boolean;
  partId?: string | null;
  release: (() => void) | null;
}

async function consumeAttachment(
  att: AttachmentStreamLike,
  index: number,
  opts: Required<Pick<ParseOptions, 'maxBufferedAttachmentBytes'>> & ParseOptions,
  problems: string[],
): Promise<ParsedAttachment> {
  // a broken Content-Type ("text/plain charset=…" without ';') keeps only the type/subtype
  const contentType = (/^[\w.+-]+\/[\w.+-]+/.exec((att.contentType || '').trim())?.[0] ?? 'application/octet-stream').toLowerCase();
  const inline = att.contentDisposition === 'inline' || (!att.contentDisposition && !!att.related && !!att.cid);
  const meta: AttachmentMeta = {
    index,
    filename: att.filename || undefined,
    contentType,
    contentId: att.cid || undefined,
    inline,
    partId: att.partId ?? undefined,
  };
  const hash = createHash('sha256');
  let size = 0;
  let chunks: Buffer[] = [];
  let sink: PassThrough | null = null;
  let sinkDone: Promise<void> | null = null;
  let sinkClosed = false;
  let stored: unknown;
  const limit = opts.maxBufferedAttachmentBytes;
  try {
    for await (const raw of att.content) {
      const chunk: Buffer = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as string);
      hash.update(chunk);
      size += chunk.length;
      if (!sink) {
        if (size <= limit || !opts.onAttachment) {
          chunks.push(chunk);
          continue;
        }
        // over the limit with a sink: switch to streaming, replaying what we buffered
        const pt = new PassThrough();
        sink = pt;
        const fn = opts.onAttachment;
        sinkDone = (async () => {
          try {
            stored = await fn(meta, pt);
          } catch (err) {
            problems.push(`attachment ${meta.filename ?? index} sink failed: ${(err as Error).message}`);
          } finally {
            sinkClosed = true;
          }
        })();
        for (const c of chunks) pt.write(c);
        chunks = [];
        pt.write(chunk);
        continue;
      }
      if (sinkClosed) continue; // keep hashing, nothing to write to
      if (!sink.write(chunk)) await Promise.race([once(sink, 'drain'), sinkDone]);
    }
  } catch (err) {
    problems.push(`attachment ${meta.filename ?? index} could not be fully decoded: ${(err as Error).message}`);
  } finally {
    if (sink) {
      sink.end();
      await sinkDone;
    }
    att.release?.();
  }
  return {
    filename: meta.filename,
    contentType,
    size,
    sha256: hash.digest('hex'),
    contentId: meta.contentId,
    inline,
    content: sink ? undefined : Buffer.concat(chunks, size),
    stored: sink ? stored : undefined,
    partId: meta.partId,
  };
}

async function tnefExpand(
  a: ParsedAttachment,
  firstIndex: number,
  opts: Required<Pick<ParseOptions, 'maxBufferedAttachmentBytes'>> & ParseOptions,
  problems: string[],
): Promise<ParsedAttachment[] | null> {
  if (!a.content) {
    problems.push(`TNEF attachment ${a.filename ?? ''} larger than the buffer limit, not unpacked`);
    return null;
  }
  const r = unpackTnef(a.content);
  for (const p of r.problems) problems.push(`TNEF ${a.filename ?? ''}: ${p}`);
  if (!r.attachments.length) return null;
  const out: ParsedAttachment[] = [];
  for (const [i, t] of r.attachments.entries()) {
    const pa: ParsedAttachment = {
      filename: t.filename,
      contentType: (t.contentType || 'application/octet-stream').toLowerCase(),
      size: t.content.length,
      sha256: createHash('sha256').update(t.content).digest('hex'),
      contentId: t.contentId,
      inline: false,
      content: t.content,
      partId: a.partId,
      fromTnef: true,
    };
    if (t.content.length > opts.maxBufferedAttachmentBytes && opts.onAttachment) {
      const meta: AttachmentMeta = {
        index: firstIndex + i,
        filename: pa.filename,
        contentType: pa.contentType,
        contentId: pa.contentId,
        inline: false,
        partId: pa.partId,
      };
      try {
        pa.stored = await opts.onAttachment(meta, Readable.from([t.content]));
        pa.content = undefined;
      } catch (err) {
        problems.push(`attachment ${pa.filename} sink failed: ${(err as Error).message}`);
      }
    }
    out.push(pa);
  }
  return out;
}

/**
 * Parse a raw message. Never throws for malformed input (see `problems`); throws
 * UnparseableMessageError only when nothing usable could be read.
 */
export async function parseMessage(raw: Buffer | Readable, options: ParseOptions = {}): Promise<ParsedMessage> {
  const opts = { unpackTnef: true, ...options, maxBufferedAttachmentBytes: options.maxBufferedAttachmentBytes ?? DEFAULT_MAX_BUFFERED };
  const problems: string[] = [];
  if (Buffer.isBuffer(raw) && raw.length === 0) throw new UnparseableMessageError('empty message');

  const parser = new MailroomParser();
  const attachments: ParsedAttachment[] = [];
  let text = '';
  let html: string | undefined;

  if (Buffer.isBuffer(raw)) {
    parser.end(raw);
  } else {
    // a failing source (connection reset…) ends the parse with what arrived so far
    raw.on('error', (err) => {
      problems.push(`input stream failed: ${err.message}`);
      raw.unpipe(parser);
      parser.end();
    });
    raw.pipe(parser);
  }

  try {
    for await (const data of parser as AsyncIterable<{ type: string } & Record<string, unknown>>) {
      if (data.type === 'attachment') {
        const a = await consumeAttachment(data as unknown as AttachmentStreamLike, attachments.length, opts, problems);
        if (opts.unpackTnef && looksLikeTnefPart(a.contentType, a.filename)) {
          const inner = await tnefExpand(a, attachments.length, opts, problems);
          if (inner) {
            attachments.push(...inner);
            continue;
          }
        }
        attachments.push(a);
      } else if (data.type === 'text') {
        if (typeof data.text === 'string') text = data.text;
        if (typeof data.html === 'string') html = data.html;
        if (data.textConversionError) problems.push(`HTML to text failed: ${(data.textConversionError as Error).message}`);
      }
    }
  } catch (err) {
    problems.push(`MIME parsing stopped early: ${(err as Error).message}`);
  }
  problems.push(...(parser.mailroomProblems ?? []));

  const headerProblems: string[] = [];
  const headers = headerMapFrom(parser.headerLines, headerProblems);
  problems.push(...headerProblems);

  if (!text.trim() && html) {
    // mailparser converts HTML only for a root HTML part or alongside text parts; an
    // HTML-only multipart/related (fixture 09) gets nothing, so convert it ourselves
    text = htmlToText(html);
    if (!text.trim()) problems.push('no text could be extracted from the HTML');
  }
  if (replacementCount(text) > 0) problems.push('text contains undecodable characters (U+FFFD)');

  const fromList = toAddresses(parser.from);
  const from = fromList[0];
  if (headers.from !== undefined && (!from || !ADDR_RE.test(from.address))) {
    problems.push(`From address not valid: ${JSON.stringify(getHeader({ headers }, 'from'))}`);
  }
  if (headers.from === undefined) problems.push('no From header');

  let date: Date | undefined;
  const rawDate = getHeader({ headers }, 'date');
  if (rawDate) {
    const d = new Date(rawDate.replace(/\s*\([^)]*\)\s*$/, ''));
    if (Number.isNaN(d.getTime())) problems.push(`Date not parsable: ${JSON.stringify(rawDate)}`);
    else date = d;
  }

  let subject = typeof parser.subject === 'string' ? parser.subject : '';
  if (replacementCount(subject) > 0) problems.push('subject contains undecodable characters');
  const rawSubject = getHeader({ headers }, 'subject') ?? '';
  const unknownWord = /=\?([^?*]+)(?:\*[^?]*)?\?[bq]\?/gi;
  for (let m = unknownWord.exec(rawSubject); m; m = unknownWord.exec(rawSubject)) {
    const cs = m[1];
    if (!isUtf8Like(cs) && !isKnownCharset(cs) && !/2022/i.test(cs)) {
      problems.push(`subject uses unknown charset "${cs}"`);
    }
  }
  subject = subject.replace(/\s+/g, ' ').trim();

  const ct = parseContentType(getHeader({ headers }, 'content-type'));
  const refs = parser.references;
  const references = (Array.isArray(refs) ? refs : refs ? [refs] : []).filter(Boolean);

  const usable =
    Object.keys(headers).length > 0 || text.trim().length > 0 || attachments.length > 0 || (html ?? '').length > 0;
  if (!usable) throw new UnparseableMessageError('no headers, text or attachments could be read', problems);

  return {
    messageId: parser.messageId || undefined,
    inReplyTo: parser.inReplyTo || undefined,
    references,
    from,
    to: toAddresses(parser.to),
    cc: toAddresses(parser.cc),
    replyTo: toAddresses(parser.replyTo),
    subject,
    date,
    text,
    html,
    headers,
    contentType: ct.type,
    contentTypeParams: ct.params,
    attachments,
    problems: [...new Set(problems)],
  };
}
