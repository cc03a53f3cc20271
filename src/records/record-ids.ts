export type RecordKind = 'ticket' | 'lead';

export interface IdPrefixes {
  ticketPrefix: string;
  leadPrefix: string;
}

export function formatRef(prefix: string, n: number | string): string {
  return `${prefix}-${String(n).padStart(6, '0')}`;
}

/** The SQL of formatRef for a number expression `n` (`?` is the prefix). */
export function refFormatSql(n: string): string {
  return `?::text || '-' || lpad((${n})::text, greatest(6, length((${n})::text)), '0')`;
}

export function sequenceOf(kind: RecordKind): string {
  return kind === 'ticket' ? 'ticket_number_seq' : 'lead_number_seq';
}

/**
 * An SQL expression that takes the next number from `kind`'s sequence and formats it as
 * formatRef does (`?` is the prefix), so the insert of a record makes its ID in the same
 * statement. Sequences hand out numbers atomically across instances: IDs never repeat (gaps
 * may occur when a transaction rolls back).
 */
export function nextRefSql(kind: RecordKind): string {
  return `(select ${refFormatSql('n')} from (select nextval('${sequenceOf(kind)}') as n) as next_number)`;
}

export function prefixOf(kind: RecordKind, prefixes: IdPrefixes): string {
  return kind === 'ticket' ? prefixes.ticketPrefix : prefixes.leadPrefix;
}
