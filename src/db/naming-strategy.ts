import { UnderscoreNamingStrategy } from '@mikro-orm/core';

type ConstraintKind = 'primary' | 'foreign' | 'unique' | 'index' | 'sequence' | 'check';

/**
 * MikroORM's names for constraints (`contact_email_unique`, `ticket_requester_id_foreign`) with
 * PostgreSQL's own suffixes instead (`contact_email_key`, `ticket_requester_id_fkey`): the tables
 * were created by hand-written SQL that let PostgreSQL name its constraints, and the schema
 * generator compares constraints by name. With these names the entities describe the existing
 * constraints exactly, and a generated migration names new ones as PostgreSQL would.
 */
export class PostgresNamingStrategy extends UnderscoreNamingStrategy {
  override indexName(tableName: string, columns: string[], type: ConstraintKind): string {
    const suffix = ({ foreign: 'fkey', unique: 'key', index: 'idx' } as Partial<Record<ConstraintKind, string>>)[type];
    if (!suffix) return super.indexName(tableName, columns, type);
    const table = tableName.includes('.') ? tableName.slice(tableName.indexOf('.') + 1) : tableName;
    return [table, ...columns.map((c) => c.replace(/\./g, '_')), suffix].join('_');
  }
}
