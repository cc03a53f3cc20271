/**
 * The claim queue's queries for a table with the usual columns (status, claimed_by, claimed_at,
 * attempts, next_attempt_at, in_doubt, last_error, sent_at). Raw SQL on purpose: these run
 * once per batch of hundreds of rows on the send path, and one unnest() statement per outcome
 * replaces a round trip per row. The claim itself stays with the module that owns the table,
 * since what it joins and returns is the module's business.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray, sqlOf, type Sql } from '../db/sql.ts';
import type { ClaimStore, QueuedRow, Settlement } from './claim-store.ts';

export interface QueueTable {
  /** A fixed identifier from the code, never input. */
  table: 'outbox_message' | 'newsletter_recipient';
  /** The status of a row waiting for its turn. */
  waiting: string;
  /** The table keeps `updated_at`. */
  updatedAt: boolean;
  /** The table keeps the transport's answer in `result` (jsonb). */
  result: boolean;
  /** Longest last_error kept. */
  errorMaxLength?: number;
}

const ids = (list: { id: string }[] | string[]) => `{${list.map((x) => (typeof x === 'string' ? x : x.id)).join(',')}}`;

export function tableClaimStore<Row extends QueuedRow>(
  em: EntityManager,
  t: QueueTable,
  claim: (sql: Sql, workerId: string, limit: number) => Promise<Row[]>,
): ClaimStore<Row> {
  const sql = sqlOf(em);
  const T = t.table;
  const touch = t.updatedAt ? ', updated_at = now()' : '';
  const cut = (e: string) => (t.errorMaxLength ? e.slice(0, t.errorMaxLength) : e);
  const mine = `o.id = s.id and o.claimed_by = ? and o.status = 'sending'`;
  return {
    claim: (workerId, limit) => claim(sql, workerId, limit),

    orphans: (claimTimeoutMs, reconnectGraceSeconds) =>
      sql(
        `select id::text, claimed_by, (claimed_by is not null and claimed_at >= now() - make_interval(secs => ?)) as by_absence from ${T}
          where status = 'sending'
            and (claimed_by is null
                 or claimed_at < now() - make_interval(secs => ?)
                 or (claimed_by not in (select application_name from pg_stat_activity where application_name is not null)
                     and pg_postmaster_start_time() < now() - make_interval(secs => ?)))`,
        [claimTimeoutMs / 1000, claimTimeoutMs / 1000, reconnectGraceSeconds],
      ),

    async takeBack({ delivered, unsent, inDoubt }) {
      if (delivered.length) {
        await sql(
          `update ${T} set status = 'sent', sent_at = now(), claimed_by = null${t.result ? `, result = '{"recoveredFromJournal":true}'` : ''}${touch}
            where status = 'sending' and id = any(?::bigint[])`,
          [ids(delivered)],
        );
      }
      if (unsent.length || inDoubt.length) {
        await sql(
          `update ${T} set status = '${t.waiting}', in_doubt = in_doubt or id = any(?::bigint[]), claimed_by = null${touch}
            where status = 'sending' and id = any(?::bigint[])`,
          [ids(inDoubt), ids([...unsent, ...inDoubt])],
        );
      }
    },

    async holders(workers) {
      const rows = await sql<{ claimed_by: string }>(`select distinct claimed_by from ${T} where status = 'sending' and claimed_by = any(?::text[])`, [pgArray(workers)]);
      return rows.map((r) => r.claimed_by);
    },

    async settle(workerId, s: Settlement) {
      if (s.sent.length) {
        await sql(
          t.result
            ? `update ${T} o set status = 'sent', sent_at = now(), result = s.result, last_error = null${touch}
                 from (select unnest(?::bigint[]) as id, unnest(?::jsonb[]) as result) s where ${mine}`
            : `update ${T} o set status = 'sent', sent_at = now(), last_error = null${touch}
                 from (select unnest(?::bigint[]) as id) s where ${mine}`,
          t.result ? [ids(s.sent), pgArray(s.sent.map((r) => JSON.stringify(r.result ?? {}))), workerId] : [ids(s.sent), workerId],
        );
      }
      if (s.failed.length) {
        await sql(
          `update ${T} o set status = s.status, last_error = s.error${touch}
             from (select unnest(?::bigint[]) as id, unnest(?::text[]) as status, unnest(?::text[]) as error) s where ${mine}`,
          [ids(s.failed), pgArray(s.failed.map((r) => r.status)), pgArray(s.failed.map((r) => cut(r.error))), workerId],
        );
      }
      if (s.retry.length) {
        await sql(
          `update ${T} o set status = '${t.waiting}', claimed_by = null, last_error = s.error, next_attempt_at = now() + make_interval(secs => s.ms / 1000.0)${touch}
             from (select unnest(?::bigint[]) as id, unnest(?::text[]) as error, unnest(?::int[]) as ms) s where ${mine}`,
          [ids(s.retry), pgArray(s.retry.map((r) => cut(r.error))), `{${s.retry.map((r) => Math.round(r.delayMs)).join(',')}}`, workerId],
        );
      }
      if (s.skipped.length) {
        await sql(
          `update ${T} o set status = 'cancelled', last_error = s.reason${touch}
             from (select unnest(?::bigint[]) as id, unnest(?::text[]) as reason) s where ${mine}`,
          [ids(s.skipped), pgArray(s.skipped.map((r) => r.reason)), workerId],
        );
      }
      if (s.deferred.length) {
        await sql(
          `update ${T} o set status = '${t.waiting}', claimed_by = null, attempts = o.attempts - 1, next_attempt_at = now() + make_interval(secs => s.ms / 1000.0)${touch}
             from (select unnest(?::bigint[]) as id, unnest(?::int[]) as ms) s where ${mine}`,
          [ids(s.deferred), `{${s.deferred.map((r) => Math.round(r.delayMs)).join(',')}}`, workerId],
        );
      }
    },
  };
}
