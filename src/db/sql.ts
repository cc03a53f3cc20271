import type { EntityManager } from '@mikro-orm/postgresql';

/** Runs SQL (knex `?` placeholders) inside whatever transaction `em` is in. */
export type Sql = <T = Record<string, any>>(text: string, params?: unknown[]) => Promise<T[]>;

/**
 * Parameters travel to PostgreSQL as bind values (through knex), not spliced into the SQL
 * text: MikroORM's `execute` quotes them into the string, which for a 1 MB bytea chunk means
 * building megabytes of escaped text on every insert.
 */
export function sqlOf(em: EntityManager): Sql {
  return async (text, params = []) => {
    const runner = (em.getTransactionContext() ?? em.getConnection().getKnex()) as {
      raw(sql: string, bindings: unknown[]): Promise<{ rows: never[] }>;
    };
    const res = await runner.raw(text, params);
    return res.rows;
  };
}

/** A PostgreSQL array literal for `?::text[]` / `?::bigint[]` parameters. */
export function pgArray(values: (string | number)[]): string {
  return `{${values.map((v) => `"${String(v).replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}
