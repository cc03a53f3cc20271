/**
 * The one reader of request bodies for every route on the daemon's HTTP port. A route says how
 * much it takes and in which media types; what does not fit is refused with the status that says
 * why (413 too large, 415 wrong type, 400 malformed), thrown as an HttpError that HttpServer
 * answers without a stack trace and logs below error level: a bad request is the client's
 * problem, and anyone can send one.
 */
import type { IncomingMessage } from 'node:http';

export class HttpError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Web forms: far more than a token or a preferences page needs, far less than a flood. */
export const FORM_LIMIT_BYTES = 64 * 1024;
export const FORM = 'application/x-www-form-urlencoded';
export const MULTIPART_FORM = 'multipart/form-data';
export const JSON_TYPE = 'application/json';

export interface BodyRules {
  /** Largest body accepted, in bytes. */
  limit: number;
  /** Media types accepted (without parameters). An empty body may come without a type. */
  types: readonly string[];
}

/** The media type of a request, lower case and without parameters; '' when none is given. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

function declaredLength(req: IncomingMessage): number | null {
  const v = req.headers['content-length'];
  if (v === undefined) return null;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new HttpError(400, 'bad Content-Length');
  return n;
}

/** Whether the request says it carries a body at all. */
export function hasBody(req: IncomingMessage): boolean {
  const n = declaredLength(req);
  return (n !== null && n > 0) || req.headers['transfer-encoding'] !== undefined;
}

/**
 * The raw body, refused before it is read when its declared size or type is wrong, and as soon
 * as it grows past the limit otherwise (chunked bodies declare no size). What is left unread is
 * drained by Node after the answer, so the client still gets it.
 */
export async function readBody(req: IncomingMessage, rules: BodyRules): Promise<Buffer> {
  const declared = declaredLength(req);
  if (declared !== null && declared > rules.limit) throw new HttpError(413, `body larger than ${rules.limit} bytes`);
  const type = mediaType(req);
  if (hasBody(req) && !rules.types.includes(type)) throw new HttpError(415, `content type ${type || '(none)'} not accepted here`);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: Error | null, body?: Buffer) => {
      if (done) return;
      done = true;
      req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
      if (err) {
        req.resume();
        reject(err);
      } else resolve(body!);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > rules.limit) return finish(new HttpError(413, `body larger than ${rules.limit} bytes`));
      chunks.push(c);
    };
    const onEnd = () => finish(null, Buffer.concat(chunks));
    const onError = () => finish(new HttpError(400, 'body not received'));
    const onAborted = () => finish(new HttpError(400, 'body not received'));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A body as UTF-8 text; other charsets are refused (415), bytes that are not UTF-8 are malformed (400). */
export function bodyText(req: IncomingMessage, body: Buffer): string {
  const charset = /;\s*charset="?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii') throw new HttpError(415, `charset ${charset} not accepted`);
  try {
    return utf8.decode(body);
  } catch {
    throw new HttpError(400, 'body is not UTF-8');
  }
}

/** A posted HTML form (application/x-www-form-urlencoded). */
export async function readForm(req: IncomingMessage, limit = FORM_LIMIT_BYTES): Promise<URLSearchParams> {
  const body = await readBody(req, { limit, types: [FORM] });
  return new URLSearchParams(bodyText(req, body));
}
