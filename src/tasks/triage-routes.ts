/**
 * Where staff can send a triage item: the one list behind the Slack buttons, the CLI's
 * `--route` choices and help, and the staff actions. resolveTriage (src/handlers/triage-actions.ts) files
 * each of them; a route is added here and there, nowhere else.
 */
export const TRIAGE_ROUTES = ['support', 'sales', 'privacy', 'spam'] as const;
export type TriageRoute = (typeof TRIAGE_ROUTES)[number];

export function isTriageRoute(route: string): route is TriageRoute {
  return (TRIAGE_ROUTES as readonly string[]).includes(route);
}

/** Where staff can move a ticket or lead that landed in the wrong queue (src/handlers/reclassify-record.ts). */
export const RECORD_ROUTES = ['support', 'sales', 'spam'] as const satisfies readonly TriageRoute[];
export type RecordRoute = (typeof RECORD_ROUTES)[number];

/** What each route does, for help texts (CLI) and button hints. */
export const TRIAGE_ROUTE_MEANING: Record<TriageRoute, string> = {
  support: 'file as a support ticket',
  sales: 'file as a CRM lead',
  privacy: 'open a privacy case',
  spam: 'dismiss',
};

/** The ref lists print for a triage item (`tasks list` shows it as the task's record). */
export function triageRef(id: string | number): string {
  return `TRIAGE-${id}`;
}

/**
 * A triage item's row id from what people type: the id `triage list` prints ("7"), the ref
 * `tasks list` prints ("TRIAGE-7", any case, zero-padded or not) or "#7". Null when it is none
 * of these.
 */
export function parseTriageRef(ref: string): string | null {
  const m = /^(?:triage-?|#)?0*(\d+)$/i.exec(String(ref).trim());
  if (!m) return null;
  return m[1] === '' ? '0' : m[1]!;
}
