/**
 * Unpack TNEF (application/ms-tnef, usually "winmail.dat") into the files it carries.
 *
 * Why not node-tnef (installed): tried it (1.4.0). It works on simple files, but it writes a
 * bunyan JSON log line to stdout on every call (polluting the daemon's pino output), copies the
 * whole buffer into a JS number array (8x+ memory for a large winmail.dat), and only reads the
 * 8.3 attachment title (attAttachTitle) — "ZAPPA_~2.JPG" instead of the real long filename,
 * which lives in the MAPI property PR_ATTACH_LONG_FILENAME. So this is a small extractor of our
 * own, following the MS-OXTNEF layout:
 *
 *   signature u32 0x223E9F78, key u16,
 *   then attributes: level u8, id u16, type u16, length u32, data[length], checksum u16.
 *
 * Attachment level (0x02) attributes between two attRendData (0x9002) markers belong to one
 * attachment: attAttachTitle (0x8010) short name, attAttachData (0x800F) content,
 * attAttachment (0x9005) MAPI properties (long filename, MIME tag, content id).
 * Everything is bounds-checked; a truncated file yields what was complete plus a problem.
 */

export const TNEF_SIGNATURE = 0x223e9f78;

const LVL_ATTACHMENT = 0x02;
const ATT_ATTACH_DATA = 0x800f;
const ATT_ATTACH_TITLE = 0x8010;
const ATT_ATTACH_REND_DATA = 0x9002;
const ATT_ATTACHMENT = 0x9005; // MAPI props of the attachment

// MAPI property ids we care about
const PR_ATTACH_LONG_FILENAME = 0x3707;
const PR_ATTACH_FILENAME = 0x3704;
const PR_ATTACH_MIME_TAG = 0x370e;
const PR_ATTACH_CONTENT_ID = 0x3712;
const PR_ATTACH_DATA_BIN = 0x3701;

export interface TnefAttachment {
  filename: string;
  contentType?: string;
  contentId?: string;
  content: Buffer;
}

export interface TnefResult {
  attachments: TnefAttachment[];
  problems: string[];
}

export function isTnef(buf: Buffer): boolean {
  return buf.length >= 6 && buf.readUInt32LE(0) === TNEF_SIGNATURE;
}

/** True for a part that is (probably) TNEF judging from its type or name. */
export function looksLikeTnefPart(contentType: string | undefined, filename: string | undefined): boolean {
  return /^application\/(vnd\.)?ms-tnef$/i.test(contentType ?? '') || /^(winmail|win)\.dat$/i.test(filename ?? '');
}

interface Pending {
  title?: string;
  longName?: string;
  mime?: string;
  cid?: string;
  data?: Buffer;
}

/** Fixed value sizes of MAPI property types (MS-OXCDATA 2.11.1). */
const FIXED_SIZE: Record<number, number> = {
  0x0002: 2, 0x0003: 4, 0x0004: 4, 0x0005: 8, 0x0006: 8, 0x0007: 8, 0x000a: 4, 0x000b: 2,
  0x0014: 8, 0x0040: 8, 0x0048: 16,
};
const VARIABLE = new Set([0x001e, 0x001f, 0x0102, 0x000d]);
const MV_FLAG = 0x1000;

const pad4 = (n: number) => (n + 3) & ~3;

/** Decode a MAPI property block into the few string/binary props we need. */
function readMapiProps(buf: Buffer, into: Pending): void {
  let off = 0;
  const need = (n: number) => {
    if (off + n > buf.length) throw new RangeError('MAPI property block truncated');
  };
  need(4);
  const count = buf.readUInt32LE(off);
  off += 4;
  for (let i = 0; i < count && off < buf.length; i++) {
    need(4);
    const type = buf.readUInt16LE(off);
    const id = buf.readUInt16LE(off + 2);
    off += 4;
    if (id >= 0x8000) {
      // named property: GUID, kind, then numeric id or a unicode name
      need(20);
      const kind = buf.readUInt32LE(off + 16);
      off += 20;
      if (kind === 0) {
        need(4);
        off += 4;
      } else {
        need(4);
        const nameLen = buf.readUInt32LE(off);
        off += 4 + pad4(nameLen);
      }
    }
    const base = type & ~MV_FLAG;
    const multi = (type & MV_FLAG) !== 0;
    const values: Buffer[] = [];
    if (VARIABLE.has(base)) {
      need(4);
      const n = buf.readUInt32LE(off);
      off += 4;
      for (let k = 0; k < n; k++) {
        need(4);
        const len = buf.readUInt32LE(off);
        off += 4;
        need(len);
        values.push(buf.subarray(off, off + len));
        off += pad4(len);
      }
    } else if (FIXED_SIZE[base] !== undefined) {
      const size = FIXED_SIZE[base];
      let n = 1;
      if (multi) {
        need(4);
        n = buf.readUInt32LE(off);
        off += 4;
      }
      // fixed values are padded to 4 bytes
      off += n * pad4(size);
    } else {
      throw new RangeError(`unknown MAPI property type 0x${type.toString(16)}`);
    }
    const v = values[0];
    if (!v) continue;
    const str = () =>
      (base === 0x001f ? v.toString('utf16le') : v.toString('latin1')).replace(/\0+$/, '');
    switch (id) {
      case PR_ATTACH_LONG_FILENAME:
        into.longName = str();
        break;
      case PR_ATTACH_FILENAME:
        if (!into.title) into.title = str();
        break;
      case PR_ATTACH_MIME_TAG:
        into.mime = str();
        break;
      case PR_ATTACH_CONTENT_ID:
        into.cid = str();
        break;
      case PR_ATTACH_DATA_BIN:
        if (!into.data && base === 0x0102) into.data = Buffer.from(v);
        break;
    }
  }
}

/**
 * Extract the attachments of a TNEF blob. Never throws: a non-TNEF buffer gives no
 * attachments and a problem; a damaged one gives what was complete.
 */
export function unpackTnef(buf: Buffer): TnefResult {
  const problems: string[] = [];
  const attachments: TnefAttachment[] = [];
  if (!isTnef(buf)) return { attachments, problems: ['not a TNEF file (bad signature)'] };
  let off = 6;
  let cur: Pending | null = null;
  const flush = () => {
    if (cur && cur.data) {
      attachments.push({
        filename: cur.longName || cur.title || `attachment-${attachments.length + 1}`,
        contentType: cur.mime || undefined,
        contentId: cur.cid || undefined,
        content: cur.data,
      });
    }
    cur = null;
  };
  while (off < buf.length) {
    if (off + 9 > buf.length) {
      problems.push('TNEF truncated inside an attribute header');
      break;
    }
    const level = buf.readUInt8(off);
    const id = buf.readUInt16LE(off + 1);
    const len = buf.readUInt32LE(off + 5);
    const start = off + 9;
    if (start + len > buf.length) {
      problems.push('TNEF truncated inside an attribute');
      break;
    }
    const data = buf.subarray(start, start + len);
    off = start + len + 2; // skip checksum
    if (level === LVL_ATTACHMENT || id === ATT_ATTACH_REND_DATA) {
      if (id === ATT_ATTACH_REND_DATA) {
        flush();
        cur = {};
        continue;
      }
      if (!cur) cur = {};
      const c: Pending = cur;
      if (id === ATT_ATTACH_TITLE) c.title = data.toString('latin1').replace(/\0+$/, '');
      else if (id === ATT_ATTACH_DATA) c.data = Buffer.from(data);
      else if (id === ATT_ATTACHMENT) {
        try {
          readMapiProps(data, c);
        } catch (err) {
          problems.push(`TNEF attachment properties unreadable: ${(err as Error).message}`);
        }
      }
    }
  }
  flush();
  return { attachments, problems };
}
