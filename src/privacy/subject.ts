/**
 * The person a privacy request is about, as keys into every system, and the binding of the
 * coverage registry's named placeholders (:contacts, :emails, …) to query parameters.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf, pgArray } from '../db/sql.ts';
import { normaliseAddress } from '../threading/normalise-address.ts';

export interface SubjectKeys {
  contacts: string[];
  emails: string[];
  cases: string[];
}

export interface BindValues extends SubjectKeys {
  now?: Date;
  policy?: 'delete' | 'anonymise';
  orderYears?: number;
  fyEndMonth?: number;
}

const CASTS: Record<string, string> = { contacts: '?::bigint[]', emails: '?::text[]', cases: '?::bigint[]' };

/** Replaces `:name` placeholders (never `::casts`) with `?` and collects the values in order. */
export function bindNamed(text: string, values: BindValues): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const sql = text.replace(/(?<![:\w]):([a-zA-Z]+)\b/g, (m, name: string) => {
    switch (name) {
      case 'contacts':
      case 'emails':
      case 'cases':
        params.push(pgArray(values[name]));
        return CASTS[name]!;
      case 'now':
        params.push(values.now ?? new Date());
        return '?::timestamptz';
      case 'policy':
        params.push(values.policy ?? 'delete');
        return '?::text';
      case 'orderYears':
        params.push(values.orderYears ?? 5);
        return '?';
      case 'fyEndMonth':
        params.push(values.fyEndMonth ?? 12);
        return '?';
      default:
        return m;
    }
  });
  return { sql, params };
}

/** Every key of the person behind an address on file: contact ids, addresses, privacy cases. */
export async function subjectKeys(em: EntityManager, email: string): Promise<SubjectKeys> {
  const address = normaliseAddress(email);
  const sql = sqlOf(em);
  const contacts = (await sql<{ id: string }>(`select id from contact where email = ?`, [address])).map((r) => String(r.id));
  const cases = (await sql<{ id: string }>(`select id from privacy_case where subject_email = ?`, [address])).map((r) => String(r.id));
  return { contacts, emails: [address], cases };
}
