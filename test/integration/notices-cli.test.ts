/** `mailroom notices …` as a subprocess: contacts import and list, create/schedule/show/cancel with --json. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { runCli } from '../support/cli-runner.ts';
import { sqlOf } from '../../src/db/sql.ts';

let db: TestDatabase;
let dir: string;

// The real binary: notices are registered in src/cli/main.ts like every other group.
const cli = (...args: string[]) =>
  runCli(
    { databaseUrl: db.url, dataDir: dir, secret: 'notices-cli-secret-0123456789abcdef', extra: { MAILROOM_CONFIG: path.join(dir, 'mailroom.yaml'), MAIL_FROM: 'drift@infracomfort.example', SLACK_BOT_TOKEN: '' } },
    ...args,
  );

beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(path.join(tmpdir(), 'mailroom-notices-cli-'));
  writeFileSync(
    path.join(dir, 'mailroom.yaml'),
    ['notices:', '  services:', '    - { key: email, name: E-post, nameEn: Email }', '    - { key: portal, name: Kundeportalen }', '  approval: { maintenance: true, incident: false }', ''].join('\n'),
  );
});
afterAll(async () => {
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('notices CLI', () => {
  it('imports ops-notice contacts (again: no change), lists them, and runs a notice through create, schedule (approval), show and cancel', async () => {
    const csv = path.join(dir, 'ops.csv');
    writeFileSync(csv, ['organisation;email;name;language;services', 'Alfa AS;kari@alfa.example;Kari Nordmann;nb;email|portal', 'Alfa AS;john@alfa.example;John Smith;en;email', 'Beta AS;drift@beta.example;Beta Drift;;portal', 'Gamma AS;it@gamma.example;;;fax'].join('\n'));
    const first = await cli('notices', 'contacts', 'import', csv, '--json');
    expect(first.code).toBe(1); // one bad row
    expect(first.json).toMatchObject({ added: 3, alreadyListed: 0, organisationsCreated: 2, servicesAdded: 3, rejected: 1 });
    expect(first.stderr).toContain(':5: services unknown service fax');
    const again = await cli('notices', 'contacts', 'import', csv, '--json');
    expect(again.json).toMatchObject({ added: 0, alreadyListed: 3, organisationsCreated: 0, servicesAdded: 0 });

    const list = await cli('notices', 'contacts', 'list', '--service', 'email', '--json');
    expect(list.code).toBe(0);
    expect(list.json.map((r: any) => r.email)).toEqual(['john@alfa.example', 'kari@alfa.example']);
    expect(list.json[0]).toMatchObject({ organisation: 'Alfa AS', services: ['email', 'portal'], language: 'en' });

    const bad = await cli('notices', 'create', '--kind', 'maintenance', '--title', 'X', '--services', 'fax', '--start', '2030-01-01T22:00', '--end', '2030-01-02T01:00', '--as', 'ola');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown service fax');

    const created = await cli('notices', 'create', '--kind', 'maintenance', '--title', 'Oppgradering', '--services', 'email', '--start', '2030-01-01T22:00', '--end', '2030-01-02T01:00', '--as', 'ola', '--schedule', '--json');
    expect(created.code).toBe(0);
    expect(created.json).toMatchObject({ ref: 'DRIFT-000001', kind: 'maintenance', state: 'awaiting-approval', windowStart: '2030-01-01T21:00:00.000Z' });
    expect(created.json.approvalTask).toMatch(/^T-\d+$/);

    const shown = await cli('notices', 'show', 'drift-1', '--json');
    expect(shown.json).toMatchObject({ ref: 'DRIFT-000001', state: 'awaiting-approval', steps: [] });
    const listed = await cli('notices', 'list', '--json');
    expect(listed.json.map((n: any) => n.ref)).toEqual(['DRIFT-000001']);

    const cancelled = await cli('notices', 'cancel', 'DRIFT-000001', '--as', 'ola', '--json');
    expect(cancelled.json).toMatchObject({ state: 'cancelled' });
    const twice = await cli('notices', 'cancel', 'DRIFT-000001', '--as', 'ola');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('cancelled already');

    const [{ n }] = (await sqlOf(db.orm.em.fork())(`select count(*) as n from outbox_message`)) as [{ n: string }];
    expect(Number(n)).toBe(0); // Slack off: the approval task is worked from the CLI; no mail went anywhere
  });

  it('sets the services of an organisation found by exact name in any case, and refuses an unknown one or an unknown service', async () => {
    const set = await cli('notices', 'services', 'set', 'alfa as', 'portal');
    expect(set.code).toBe(0);
    expect(set.stdout).toBe('Alfa AS: portal\n');
    const none = await cli('notices', 'services', 'set', 'Beta AS');
    expect(none.stdout).toBe('Beta AS: (no services)\n');
    const unknownOrg = await cli('notices', 'services', 'set', 'delta.example', 'email');
    expect(unknownOrg.code).toBe(1);
    expect(unknownOrg.stderr).toContain('no organisation delta.example');
    const unknownService = await cli('notices', 'services', 'set', 'Alfa AS', 'telex');
    expect(unknownService.code).toBe(1);
    expect(unknownService.stderr).toContain('unknown service telex');
  });
});
