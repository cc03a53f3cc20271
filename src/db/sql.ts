import type { EntityManager } from '@mikro-orm/postgresql';

/** Runs SQL (knex `?` placeholders) inside whatever transaction `em` is in. */
export type Sql = <T = Record<string, any>>(text: string, params?: unknown[]) => Promise<T[]>;

export function sqlOf(em: EntityManager): Sql {
  return (text, params = []) =>
    em.getConnection().execute(text, params as never[], 'all', em.getTransactionContext()) as Promise<never>;
}

/** A PostgreSQL array literal for `?::text[]` / `?::bigint[]` parameters. */
export function pgArray(values: (string | number)[]): string {
  return `{${values.map((v) => `"${String(v).replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}
