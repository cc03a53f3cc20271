import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Runs SQL (`?` placeholders) inside whatever transaction `em` is in. `name` makes it a prepared
 * statement (parsed and planned once per connection): only for fixed text on a hot path.
 */
export type Sql = <T = Record<string, any>>(text: string, params?: unknown[], opts?: { name?: string }) => Promise<T[]>;

interface PgConnection {
  query(config: { text: string; values: unknown[]; name?: string }): Promise<{ rows: never[] }>;
}

interface KnexClientLike {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(c: PgConnection): Promise<unknown>;
}

const positional = new Map<string, string>();

/** `?` → `$1, $2, …` (our SQL has no other question marks), cached per statement text. */
function toPositional(text: string): string {
  let out = positional.get(text);
  if (out === undefined) {
    let n = 0;
    out = text.replace(/\?/g, () => `$${++n}`);
    if (positional.size > 5_000) positional.clear();
    positional.set(text, out);
  }
  return out;
}

/**
 * SQL straight to the pg connection that MikroORM/knex holds for `em` (its transaction's
 * connection, or one borrowed from the pool). Parameters travel as bind values, never spliced
 * into the text, and a Buffer goes as binary. Going past knex's query builder halves the cost
 * of a statement, which the hot paths (ingest, filing, the outbox) run dozens of times a message.
 */
export function sqlOf(em: EntityManager): Sql {
  return async (text, params = [], opts) => {
    const trx = em.getTransactionContext() as { client: KnexClientLike } | undefined;
    const client = (trx ?? (em.getConnection().getKnex() as unknown as { client: KnexClientLike })).client;
    const conn = await client.acquireConnection();
    try {
      const res = await conn.query({ text: toPositional(text), values: params, name: opts?.name });
      return res.rows;
    } finally {
      if (!trx) await client.releaseConnection(conn);
    }
  };
}

/** A PostgreSQL array literal for `?::text[]` / `?::bigint[]` parameters; null stays NULL. */
export function pgArray(values: (string | number | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : `"${String(v).replace(/["\\]/g, '\\$&')}"`)).join(',')}}`;
}
