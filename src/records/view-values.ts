/** What every view is made of: plain objects with stable camelCase fields, dates as ISO strings. */
export type View = Record<string, unknown>;

export const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);
export const num = (v: string | number | null | undefined) => (v === null || v === undefined ? null : Number(v));
