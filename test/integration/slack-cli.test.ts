import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { Migration20261126000004_tasks } from '../../src/db/migrations/Migration20261126000004_tasks.ts';
import { registerTaskCommands } from '../../src/cli/commands/tasks.ts';
import { createTask, findTask, taskAudit } from '../../src/tasks/task-service.ts';
import type { Orm } from '../../src/db/orm.ts';

const CHANNELS = { support: '#support', sales: '#sales', triage: '#triage', privacy: '#privacy', alerts: '#mailroom-alerts' };

async function applyTaskMigration(orm: Orm): Promise<void> {
  const conn = orm.em.fork().getConnection();
  const [r] = await conn.execute<{ t: string | null }[]>(`select to_regclass('task')::text as t`);
  if (r?.t) return;
  const m = new Migration20261126000004_tasks(orm.em.getDriver() as never, orm.config as never);
  await m.up();
  for (const q of m.getQueries()) await conn.execute(String(q));
}

let db: TestDatabase;
let configDir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await applyTaskMigration(db.orm);
  process.env.DATABASE_URL = db.url;
  process.env.MAILROOM_SECRET = 'cli-test-secret-0123456789';
  // An empty behaviour file: every key at its default (a named file must exist).
  configDir = mkdtempSync(path.join(tmpdir(), 'mailroom-slack-cli-'));
  process.env.MAILROOM_CONFIG = path.join(configDir, 'mailroom.yaml');
  writeFileSync(process.env.MAILROOM_CONFIG, '');
  process.env.LOG_LEVEL = 'silent';
  delete process.env.SLACK_BOT_TOKEN;
});
afterAll(async () => {
  await db?.drop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ out: string; err: string; exitCode: number }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  process.exitCode = 0;
  try {
    const program = new Command('mailroom').exitOverride();
    registerTaskCommands(program);
    await program.parseAsync(['node', 'mailroom', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, err, exitCode };
}

describe('mailroom tasks (CLI, Slack off)', () => {
  it('lists, shows and decides tasks through the same decideTask as Slack', async () => {
    const em = db.orm.em.fork();
    const ticket = await em.transactional((tx) =>
      createTask(tx, { kind: 'new-ticket', recordRef: 'SUP-000001', title: 'Heat pump down', channelKey: 'support' }, { channels: CHANNELS, postToSlack: false }),
    );
    const erasure = await em.transactional((tx) =>
      createTask(tx, { kind: 'approval', recordRef: 'PRV-000001', title: 'Erase', channelKey: 'privacy', actionKind: 'erasure' }, { channels: CHANNELS, postToSlack: false }),
    );
    const list = JSON.parse((await cli('tasks', 'list', '--json', '--state', 'open')).out) as { id: string; state: string }[];
    expect(list.map((t) => t.id)).toEqual([erasure.publicId, ticket.publicId]);

    const closed = await cli('tasks', 'close', ticket.publicId, '--as', 'kari', '--json');
    expect(closed.exitCode).toBe(0);
    expect(JSON.parse(closed.out)).toMatchObject({ id: ticket.publicId, state: 'done', decidedBy: 'kari' });
    const again = await cli('tasks', 'close', ticket.publicId, '--as', 'ola');
    expect(again.exitCode).toBe(1);
    expect(again.err).toContain('already decided by kari');

    // No approvers configured: an erasure is approved by nobody, from the CLI as from Slack.
    const refused = await cli('tasks', 'approve', erasure.publicId, '--as', 'kari');
    expect(refused.exitCode).toBe(1);
    expect(refused.err).toContain('not allowed');
    expect((await findTask(db.orm.em.fork(), { taskId: erasure.id }))!.state).toBe('open');

    const show = JSON.parse((await cli('tasks', 'show', ticket.publicId, '--json')).out);
    expect(show.audit.map((a: { action: string }) => a.action)).toEqual(['created', 'done']);
    expect(show.audit[1]).toMatchObject({ actorKind: 'cli', actorName: 'kari' });
    expect((await taskAudit(db.orm.em.fork(), ticket.id)).length).toBe(2);
    const outbox = await db.orm.em.fork().getConnection().execute(`select count(*)::int as n from outbox_message where channel = 'slack'`);
    expect(outbox[0].n).toBe(0);
    expect((await cli('tasks', 'show', 'T-999999')).exitCode).toBe(3);
  });
});
