/**
 * For the scale-out tests and bench: a backlog of customer mail in other words than the
 * classifier's lists, and what each of several daemons on one database did (by instance id,
 * which is each daemon's application_name and carries its pid).
 */
import type { Orm } from '../../src/db/orm.ts';
import { supportMail } from './support-mail.ts';
import { sqlFor } from './e2e-helpers.ts';

const PLACES = ['kantina', 'lagerhallen', 'møterom 3', 'verkstedet', 'resepsjonen', 'serverrommet', 'garderoben'];
const TROUBLES = [
  'har ikke hatt varme siden i går kveld',
  'lager en høy pipelyd hver halvtime',
  'står og blinker rødt på displayet',
  'drypper vann fra innedelen',
  'slår seg av etter et par minutter',
];

/** Backlog mail number `i`, from `drift<i>.<tag>@kunde<i % 37>.example` to the support address (so it is acknowledged). */
export function backlogMail(tag: string, i: number): string {
  const place = PLACES[i % PLACES.length]!;
  return supportMail({
    messageId: `${tag}-${i}@kunde${i % 37}.example`,
    from: `Driftsansvarlig ${i} <drift${i}.${tag}@kunde${i % 37}.example>`,
    subject: `Anlegget i ${place} (${tag} ${i})`,
    body: `Hei,\nanlegget i ${place} ${TROUBLES[i % TROUBLES.length]}. Kan dere sende en tekniker?\n\nHilsen driftsansvarlig ${i}`,
  });
}

/** The pid inside an instance id (`mailroom:<host>:<pid>:<random>`). */
export function pidOf(instanceId: string | null): number | undefined {
  const m = /^mailroom:.*:(\d+):[0-9a-f]{8}$/.exec(instanceId ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Rows per instance for `query` (which returns `who` and `n`), keyed by the instance's pid. */
export async function sharesByPid(orm: Orm, query: string): Promise<Map<number, number>> {
  const rows = await sqlFor(orm)<{ who: string | null; n: string }>(query);
  const out = new Map<number, number>();
  for (const r of rows) {
    const pid = pidOf(r.who) ?? -1;
    out.set(pid, (out.get(pid) ?? 0) + Number(r.n));
  }
  return out;
}

export const FILED_BY = `select filed_by as who, count(*) as n from inbound_message where state = 'filed' group by filed_by`;
export const SENT_BY = `select claimed_by as who, count(*) as n from outbox_message where status = 'sent' group by claimed_by`;
export const CAMPAIGN_SENT_BY = `select claimed_by as who, count(*) as n from newsletter_recipient where status = 'sent' group by claimed_by`;

/** The pid of the daemon holding the mailbox lock (its lock connection is `mailroom-imap-lock:<instance id>`). */
export async function mailboxLeaderPid(orm: Orm): Promise<number | undefined> {
  const [row] = await sqlFor(orm)<{ app: string }>(
    `select a.application_name as app from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and a.datname = current_database() and a.application_name like 'mailroom-imap-lock:%' limit 1`,
  );
  const m = /^mailroom-imap-lock:mailroom:.*:(\d+):/.exec(row?.app ?? '');
  return m ? Number(m[1]) : undefined;
}
