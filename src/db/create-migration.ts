/**
 * `npm run migration:create -- <name> [--number N] [--blank]`: writes the migration that brings
 * the checked-in migrations up to src/entities, the way every schema change is made
 * (src/db/README.md). `--blank` writes an empty one, for what entities cannot say (a trigger, a
 * function, moving data) to be written by hand.
 *
 * MikroORM's migrator does the work: on a scratch database migrated up by the migrations we
 * have, it diffs the entities with what is there and writes the SQL, up and down, with its own
 * TypeScript generator. What it cannot know is ours: the file is numbered like the others
 * (Migration20261126000016_name, or --number when the lead hands out numbers) and registered in
 * both migrations/index.ts and migrations/names.ts. The scratch database is dropped afterwards.
 *
 * The server is DATABASE_URL's, or else the embedded one `npm start` uses (MAILROOM_DATA_DIR,
 * MAILROOM_EMBEDDED_PG_PORT). A developer's own database is never diffed: it may have drifted.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { MigrationDiff } from '@mikro-orm/core';
import { TSMigrationGenerator } from '@mikro-orm/migrations';
import pg from 'pg';
import { silentLogger } from '../logging/logger.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { MIGRATION_NAMES } from './migrations/names.ts';
import { migrate, migratorOf, openOrm } from './orm.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
/** Every migration so far is Migration20261126 + a six-digit number; new ones keep the scheme. */
const PREFIX = 'Migration20261126';
const WHY_PLACEHOLDER = 'WHY: say what this change is for before checking it in (see src/db/README.md).';

function nextNumber(): number {
  const numbers = MIGRATION_NAMES.map((n) => Number(n.slice(PREFIX.length, PREFIX.length + 6)));
  return Math.max(...numbers) + 1;
}

/** Adds `name` after the last migration in index.ts (import and list) and names.ts. */
function register(name: string): void {
  const indexPath = path.join(MIGRATIONS_DIR, 'index.ts');
  const namesPath = path.join(MIGRATIONS_DIR, 'names.ts');
  const last = MIGRATION_NAMES[MIGRATION_NAMES.length - 1];
  const edit = (file: string, anchor: string, addition: string) => {
    const text = readFileSync(file, 'utf8');
    const at = text.indexOf(anchor);
    if (at < 0) throw new Error(`${file}: cannot find "${anchor}" to add ${name} after; add it by hand`);
    writeFileSync(file, text.slice(0, at + anchor.length) + addition + text.slice(at + anchor.length));
  };
  edit(indexPath, `import { ${last} } from './${last}.ts';\n`, `import { ${name} } from './${name}.ts';\n`);
  edit(indexPath, `  { name: '${last}', class: ${last} },\n`, `  { name: '${name}', class: ${name} },\n`);
  edit(namesPath, `  '${last}',\n`, `  '${name}',\n`);
}

async function serverUrl(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => {} };
  const dataDir = path.resolve(process.env.MAILROOM_DATA_DIR ?? './data');
  const port = Number(process.env.MAILROOM_EMBEDDED_PG_PORT ?? 54329);
  return startEmbeddedPostgres({ dataDir, port, log: silentLogger });
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { number: { type: 'string' }, blank: { type: 'boolean' } } });
  const label = positionals[0];
  if (positionals.length !== 1 || !/^[a-z][a-z0-9_]*$/.test(label)) {
    process.stderr.write('usage: npm run migration:create -- <name in snake_case> [--number N] [--blank]\n');
    return 2;
  }
  const number = values.number ? Number(values.number) : nextNumber();
  if (!Number.isInteger(number) || number < 1 || number > 999_999 || MIGRATION_NAMES.some((n) => n.startsWith(PREFIX + String(number).padStart(6, '0')))) {
    process.stderr.write(`migration number ${values.number} is not free\n`);
    return 2;
  }
  const name = `${PREFIX}${String(number).padStart(6, '0')}_${label}`;

  const server = await serverUrl();
  const scratch = `mailroom_migration_create_${randomBytes(4).toString('hex')}`;
  await admin(server.url, `create database ${scratch}`);
  try {
    const url = new URL(server.url);
    url.pathname = `/${scratch}`;
    const orm = await openOrm({ url: url.toString(), applicationName: 'mailroom:migration-create' });
    try {
      // MikroORM's TypeScript generator writes the SQL; only the name and the why-comment are ours.
      class NumberedGenerator extends TSMigrationGenerator {
        override async generate(diff: MigrationDiff): Promise<[string, string]> {
          const code = this.generateMigrationFile(name, diff).replace(/^(import .*\n\n)/, `$1/**\n * ${WHY_PLACEHOLDER}\n */\n`);
          writeFileSync(path.join(MIGRATIONS_DIR, `${name}.ts`), code);
          return [code, `${name}.ts`];
        }
      }
      // Read when the migrator is made, which migrate() does first.
      orm.config.set('migrations', { ...orm.config.get('migrations'), generator: NumberedGenerator });
      await migrate(orm);
      const result = await (await migratorOf(orm)).createMigration(undefined, values.blank ?? false);
      if (!result.fileName) {
        process.stdout.write('The entities and the migrations agree: no migration to write.\n');
        return 0;
      }
      register(name);
      process.stdout.write(
        `Wrote src/db/migrations/${result.fileName} and added it to index.ts and names.ts.\n` +
          'Read the SQL, replace the WHY comment, then run npm run migration:check.\n',
      );
      return 0;
    } finally {
      await orm.close(true);
    }
  } finally {
    await admin(server.url, `drop database if exists ${scratch} with (force)`);
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`migration:create failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
