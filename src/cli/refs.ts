/**
 * The forms of an ID that people copy from Mailroom's own output: the bare row id lists print
 * ("12"), the "#12" that import summaries print, and a record-style ref ("CAMPAIGN-12",
 * "campaign-000012") that task lists print. Every command that takes such an ID reads it here.
 */
export function rowIdFromRef(ref: string, prefix?: string): string | null {
  const s = String(ref).trim();
  const m = prefix ? new RegExp(`^(?:${prefix}-?|#)?0*(\\d+)$`, 'i').exec(s) : /^#?0*(\d+)$/.exec(s);
  return m ? m[1]! : null;
}
