import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { migrationsList } from '../../src/db/migrations/index.ts';
import { migrate } from '../../src/db/orm.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
});
afterAll(async () => {
  await db?.drop();
});

describe('migrations', () => {
  it('all run up through the MikroORM migrator, twice at once without racing, and all run back down', async () => {
    const [a, b] = await Promise.all([migrate(db.orm), migrate(db.orm)]);
    expect([...a, ...b].sort()).toEqual(migrationsList.map((m) => m.name).sort());
    const c = db.orm.em.fork().getConnection();
    const [t] = await c.execute(`insert into task (kind, title, channel) values ('new-ticket', 'x', '#support') returning public_id, state, version`);
    expect(t).toMatchObject({ public_id: 'T-000001', state: 'open', version: 1 });

    await db.orm.getMigrator().down({ to: 0 });
    const tables = await c.execute<{ t: string }[]>(`select table_name as t from information_schema.tables where table_schema = 'public' order by 1`);
    expect(tables.map((r) => r.t)).toEqual(['mikro_orm_migrations']);
  });
});
