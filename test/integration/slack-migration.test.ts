import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MikroORM } from '@mikro-orm/postgresql';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { ormConfig } from '../../src/db/orm.ts';
import { migrationsList } from '../../src/db/migrations/index.ts';
import { Migration20261126000004_tasks } from '../../src/db/migrations/Migration20261126000004_tasks.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
});
afterAll(async () => {
  await db?.drop();
});

describe('migration 0004 (tasks)', () => {
  it('runs up through the MikroORM migrator, and down', async () => {
    const list = migrationsList.some((m) => m.name === 'Migration20261126000004_tasks')
      ? migrationsList
      : [...migrationsList, { name: 'Migration20261126000004_tasks', class: Migration20261126000004_tasks }];
    const base = ormConfig({ url: db.url, applicationName: 'mailroom-test:migration0004' });
    const orm = await MikroORM.init({ ...base, migrations: { ...base.migrations, migrationsList: list } });
    try {
      const done = await orm.getMigrator().up();
      expect(done.map((m) => m.name)).toContain('Migration20261126000004_tasks');
      const c = orm.em.fork().getConnection();
      const [t] = await c.execute(`insert into task (kind, title, channel) values ('new-ticket', 'x', '#support') returning public_id, state, version`);
      expect(t).toMatchObject({ public_id: 'T-000001', state: 'open', version: 1 });
      // down(), run on its own (later migrations may depend on these tables).
      const m = new Migration20261126000004_tasks(orm.em.getDriver() as never, orm.config as never);
      await m.down();
      for (const q of m.getQueries()) await c.execute(String(q));
      const [r] = await c.execute(`select to_regclass('task')::text as t, to_regclass('task_audit')::text as a, to_regclass('task_public_seq')::text as s`);
      expect(r).toEqual({ t: null, a: null, s: null });
    } finally {
      await orm.close(true);
    }
  });
});
