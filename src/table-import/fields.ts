/**
 * Field types for imported rows, in the spellings exports use: blank cells are "no value" (an
 * empty cell never clears a stored value), yes/no as ja/nei/x, numbers as "1 234,50", dates as
 * dd.mm.yyyy. Messages are what a person fixing the file reads next to the line number.
 */
import { z } from 'zod';
import { normaliseAddress } from '../threading/normalise-address.ts';
import { isEmailAddress } from '../mail/address.ts';

export const blankToUndefined = (v: unknown) => {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string' && v.trim() === '') return undefined;
  return typeof v === 'string' ? v.trim() : v;
};

export const text = (max = 500) => z.preprocess(blankToUndefined, z.string({ error: 'must be text' }).max(max, `at most ${max} characters`).optional());
export const requiredText = (max = 500) =>
  z.preprocess(blankToUndefined, z.string({ error: (i) => (i.input === undefined ? 'is required' : 'must be text') }).max(max, `at most ${max} characters`));

export const email = z
  .string({ error: 'must be an email address' })
  .transform((v, ctx) => {
    const n = normaliseAddress(v);
    if (!n || !isEmailAddress(n, { dottedDomain: true })) {
      ctx.addIssue({ code: 'custom', message: `not an email address (${JSON.stringify(v)})` });
      return z.NEVER;
    }
    return n;
  });
export const requiredEmail = z.preprocess(blankToUndefined, z.any().refine((v) => v !== undefined, 'is required').pipe(email));
export const optionalEmail = z.preprocess(blankToUndefined, email.optional());

export const domain = z.preprocess(
  (v) => {
    const b = blankToUndefined(v);
    return typeof b === 'string' ? b.toLowerCase().replace(/^@/, '').replace(/\.+$/, '') : b;
  },
  z
    .string({ error: 'must be a domain name' })
    .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'not a domain name (like example.no)')
    .optional(),
);

/** Yes/no in the spellings exports use (including Norwegian ja/nei and a bare "x"). */
export const flag = z.preprocess((v) => {
  const b = blankToUndefined(v);
  if (b === undefined || typeof b === 'boolean') return b;
  if (typeof b === 'number') return b === 1 ? true : b === 0 ? false : b;
  const s = String(b).toLowerCase();
  if (['true', 'yes', 'y', 'ja', 'j', '1', 'x'].includes(s)) return true;
  if (['false', 'no', 'n', 'nei', '0', '-'].includes(s)) return false;
  return s;
}, z.boolean({ error: (i) => `must be yes or no (got ${JSON.stringify(i.input)})` }).optional());

/** Numbers as exports write them: 1234.5, "1 234,50", "1234,5". */
export function toNumber(v: unknown): unknown {
  const b = blankToUndefined(v);
  if (typeof b !== 'string') return b;
  const s = b.replace(/[\s\u00a0]/g, '');
  const normalised = /^-?\d+(,\d+)?$/.test(s) ? s.replace(',', '.') : s;
  const n = Number(normalised);
  return Number.isFinite(n) && normalised !== '' ? n : b;
}
export const quantity = z.preprocess(toNumber, z.number({ error: (i) => `must be a number (got ${JSON.stringify(i.input)})` }).positive('must be more than 0'));
export const price = z.preprocess(toNumber, z.number({ error: (i) => `must be a number (got ${JSON.stringify(i.input)})` }).min(0, 'must not be negative').optional());

/** A calendar date as YYYY-MM-DD, from ISO (also with a time) or Norwegian dd.mm.yyyy. */
export const calendarDate = z.preprocess(
  blankToUndefined,
  z
    .string({ error: (i) => (i.input === undefined ? 'is required' : 'must be a date') })
    .transform((v, ctx) => {
      let y: number, m: number, d: number;
      let match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/.exec(v);
      if (match) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
      else if ((match = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(v))) [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
      else {
        ctx.addIssue({ code: 'custom', message: `not a date (use YYYY-MM-DD; got ${JSON.stringify(v)})` });
        return z.NEVER;
      }
      const date = new Date(Date.UTC(y, m - 1, d));
      if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
        ctx.addIssue({ code: 'custom', message: `no such date (${JSON.stringify(v)})` });
        return z.NEVER;
      }
      return date.toISOString().slice(0, 10);
    }),
);

export const list = z.preprocess((v) => {
  const b = blankToUndefined(v);
  if (typeof b === 'string') return b.split(/[,;|]/).map((s) => s.trim()).filter(Boolean);
  return b;
}, z.array(z.string().trim().min(1).max(100)).optional());

/** One of `values`, in any case; blank is no value. */
export const choice = <const T extends readonly [string, ...string[]]>(values: T, message = `must be one of ${values.join(', ')}`) =>
  z.preprocess((v) => {
    const b = blankToUndefined(v);
    return typeof b === 'string' ? b.toLowerCase() : b;
  }, z.enum(values, { error: message }).optional());
