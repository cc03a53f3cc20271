import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';

export type RecordKind = 'ticket' | 'lead';

export interface IdPrefixes {
  ticketPrefix: string;
  leadPrefix: string;
}

export function formatRef(prefix: string, n: number | string): string {
  return `${prefix}-${String(n).padStart(6, '0')}`;
}

/** Sequences hand out numbers atomically across instances: refs never repeat (gaps may occur). */
export async function nextRef(em: EntityManager, kind: RecordKind, prefixes: IdPrefixes): Promise<string> {
  const seq = kind === 'ticket' ? 'ticket_number_seq' : 'lead_number_seq';
  const [row] = await sqlOf(em)<{ n: string }>(`select nextval('${seq}') as n`, [], { name: `next-${seq}` });
  return formatRef(kind === 'ticket' ? prefixes.ticketPrefix : prefixes.leadPrefix, row!.n);
}
