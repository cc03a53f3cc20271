/**
 * Entities and migrations never disagree (issue 19, "one source of truth for the schema"): our
 * `mikro-orm migration:check`. A fresh database is migrated up by the migrator, exactly as the
 * daemon does it, and MikroORM's schema generator must find nothing to change between it and the
 * entities in src/entities. A failure prints the SQL the generator would run: change the entity
 * or write the migration (src/db/README.md) until it is empty.
 *
 * The generator compares tables, columns (type, nullability, default), enum checks, other check
 * constraints, unique constraints, foreign keys (with their rules) and indexes. Two things it
 * does not see are checked here as well:
 *  - an index written as SQL (`expression`, for partial or descending indexes) is compared by
 *    name only; the test compares its definition as PostgreSQL prints it;
 *  - objects MikroORM has no notion of (MIGRATION_ONLY below): they exist only in migrations, and
 *    the test fails when the database holds one the list does not name, so each has a reason.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

/** What only the migrations create, and why an entity cannot say it. */
const MIGRATION_ONLY = {
  sequences: {
    // People-facing record numbers (SUP-000123, LEAD-…, PRV-…, OPS-…) are drawn with nextval() in
    // SQL; MikroORM knows a sequence only as a column's own serial.
    ticket_number_seq: 'ticket refs (src/records/record-ids.ts)',
    lead_number_seq: 'lead refs (src/records/record-ids.ts)',
    privacy_number_seq: 'privacy case refs (src/privacy/case-store.ts)',
    notice_number_seq: 'notice refs (src/notices/notice-store.ts)',
    task_public_seq: "task.public_id's default (T-000001), which the entity states",
  },
  functions: {
    task_audit_append_only: 'trigger function: task_audit is append-only',
    privacy_audit_append_only: 'trigger function: privacy_audit is append-only',
    body_part: "SQL helper giving back a part of a message's text from record_message.body_split (migration 0011)",
  },
  triggers: {
    task_audit_no_change: 'refuses UPDATE and DELETE on task_audit; MikroORM has no triggers',
    task_audit_no_truncate: 'refuses TRUNCATE on task_audit',
    privacy_audit_no_change: 'refuses UPDATE and DELETE on privacy_audit',
    privacy_audit_no_truncate: 'refuses TRUNCATE on privacy_audit',
  },
  storage: {
    // Mail and attachments are mostly compressed already; MikroORM has no column storage option.
    'inbound_raw_chunk.bytes': 'external (uncompressed), migration 0006',
    'attachment.content': 'external (uncompressed), migration 0006',
  },
};

let db: TestDatabase;
let client: pg.Client;
beforeAll(async () => {
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
  await db?.drop();
});

const names = async (sql: string) => (await client.query<{ name: string }>(sql)).rows.map((r) => r.name).sort();

describe('schema agreement between src/entities and the migrations', () => {
  it('the schema generator finds nothing to change in a freshly migrated database', async () => {
    const diff = await db.orm.schema.getUpdateSchemaSQL({ wrap: false });
    expect(diff.trim(), `the entities and the migrations disagree; the generator would run:\n${diff}`).toBe('');
  });

  it('every migration says why it exists (npm run migration:create leaves a WHY: placeholder to replace)', () => {
    const dir = fileURLToPath(new URL('../../src/db/migrations/', import.meta.url));
    const unexplained = readdirSync(dir).filter((f) => f.startsWith('Migration') && readFileSync(dir + f, 'utf8').includes(' * WHY: '));
    expect(unexplained).toEqual([]);
  });

  it('indexes written as SQL in the entities are the ones the migrations created', async () => {
    const expressionIndexes = Object.values(db.orm.getMetadata().getAll()).flatMap((meta) =>
      meta.indexes.filter((i) => typeof i.expression === 'string').map((i) => ({ name: i.name!, sql: i.expression as string })),
    );
    expect(expressionIndexes.length).toBeGreaterThan(0);
    const definition = async (name: string) =>
      (await client.query<{ def: string }>(`select pg_get_indexdef(to_regclass($1)) as def`, [name])).rows[0]?.def ?? null;
    const different: string[] = [];
    for (const index of expressionIndexes) {
      const migrated = await definition(index.name);
      // PostgreSQL prints both in one canonical form; the swap is rolled back.
      await client.query('begin');
      try {
        await client.query(`drop index if exists "${index.name}"`);
        await client.query(index.sql);
        const fromEntity = await definition(index.name);
        if (fromEntity !== migrated) different.push(`${index.name}\n  migrations: ${migrated}\n  entity:     ${fromEntity}`);
      } finally {
        await client.query('rollback');
      }
    }
    expect(different, different.join('\n')).toEqual([]);
  });

  it('the database holds nothing outside the entities but what MIGRATION_ONLY names', async () => {
    const found = {
      // Sequences a serial column owns are the entities' autoincrement ids.
      sequences: await names(`
        select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind = 'S'
           and not exists (select 1 from pg_depend d where d.objid = c.oid and d.classid = 'pg_class'::regclass and d.deptype in ('a', 'i'))`),
      functions: await names(`select p.proname as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public'`),
      triggers: await names(`
        select t.tgname as name from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and not t.tgisinternal`),
      storage: await names(`
        select c.relname || '.' || a.attname as name
          from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace join pg_type t on t.oid = a.atttypid
         where n.nspname = 'public' and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped and a.attstorage <> t.typstorage`),
    };
    const listed = Object.fromEntries(Object.entries(MIGRATION_ONLY).map(([k, v]) => [k, Object.keys(v).sort()]));
    expect(found).toEqual(listed);
  });
});
