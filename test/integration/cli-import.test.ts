/**
 * `mailroom import`, `messages` and `quarantine`, run as the real CLI in a subprocess against
 * a database of this file's own.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, expectCleanFailure as expectOneLineFailure, type CliResult } from '../support/cli-runner.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { seedFixtureCompany } from '../support/filing-harness.ts';
import { sqlOf } from '../../src/db/sql.ts';
import { migrationsList } from '../../src/db/migrations/index.ts';
import { Migration20261126000005_company_records } from '../../src/db/migrations/Migration20261126000005_company_records.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let db: TestDatabase;
let dataDir: string;

const cli = (...args: string[]) => runCli({ databaseUrl: db.url, dataDir }, ...args);
const expectCleanFailure = (r: CliResult, pattern: RegExp) => expectOneLineFailure(r, pattern, { oneLine: true });

const sql = () => sqlOf(db.orm.em.fork());

/** Until the lead lists migration 0005 in src/db/migrations/index.ts, apply it by hand. */
async function ensureCompanyRecordTables(d: TestDatabase) {
  if (migrationsList.some((m) => m.name === 'Migration20261126000005_company_records')) return;
  const m = new Migration20261126000005_company_records(d.orm.em.getDriver() as never, d.orm.config);
  await m.up();
  for (const q of m.getQueries()) await d.orm.em.getConnection().execute(q as string);
}

function message(n: number, body: string, extra = ''): string {
  return [
    `From: Mbox Sender ${n} <sender${n}@kunde${n}.example>`,
    'To: post@infracomfort.example',
    `Subject: Feil på varmepumpe nummer ${n}`,
    `Message-ID: <mbox-${n}@kunde${n}.example>`,
    'Date: Tue, 03 Dec 2024 10:00:00 +0100',
    'Content-Type: text/plain; charset=utf-8',
    extra,
    '',
    body,
  ]
    .filter((l, i) => l !== '' || i > 5)
    .join('\n');
}

beforeAll(async () => {
  db = await createTestDatabase();
  await ensureCompanyRecordTables(db);
  await seedFixtureCompany(db.orm);
  dataDir = mkdtempSync(path.join(tmpdir(), 'mailroom-cli-import-'));
});
afterAll(async () => {
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('mailroom import', () => {
  it('imports the fixtures directory: stored, filed by outcome, summary as JSON', async () => {
    const r = await cli('import', path.join(root, 'test/fixtures/mail'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = r.json;
    expect(s).toMatchObject({ kind: 'dir', messages: 13, stored: 13, duplicates: 0, pending: 0, archive: false });
    const filed = Object.values(s.filed as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(filed + s.quarantined).toBe(13);
    expect(s.filed).toMatchObject({ 'ticket-reply': 1, bounce: 1, 'auto-reply': 1 });
    expect(s.filed.ticket).toBeGreaterThanOrEqual(3);
    expect(s.filed.lead).toBeGreaterThanOrEqual(1);
    // 03, 04 and 13 are privacy cases; 11 (a newsletter reply from someone not subscribed) and
    // anything uncertain wait in triage.
    expect(s.filed.privacy).toBe(3);
    expect(s.filed.triage).toBeGreaterThanOrEqual(1);
    // 05 replies to 01: it joins 01's ticket instead of opening one.
    const byFile = await sql()(`select outcome, record_ref, subject from inbound_message where source = 'import' order by id`);
    const reply = byFile.find((m) => m.outcome === 'ticket-reply')!;
    expect(byFile.find((m) => m.outcome === 'ticket' && m.record_ref === reply.record_ref)).toBeTruthy();
    // Plain counts on stderr when it is not a terminal, never a progress bar's control codes.
    expect(r.stderr).toMatch(/storing: 13\/13/);
    expect(r.stderr).not.toMatch(/\x1b\[/);
    const [t] = await sql()(`select count(*) as n from ticket`);
    expect(Number(t!.n)).toBe(s.filed.ticket);
    const [ack] = await sql()(`select count(*) as n from acknowledgement`);
    expect(Number(ack!.n)).toBeGreaterThan(0);
  });

  it('importing the same directory again changes nothing: every message is a duplicate', async () => {
    const counts = async () => (await sql()(`select (select count(*) from ticket) t, (select count(*) from lead) l, (select count(*) from outbox_message) o, (select count(*) from record_message) m`))[0];
    const before = await counts();
    const r = await cli('import', path.join(root, 'test/fixtures/mail'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/duplicates\s+13/);
    expect(r.stdout).toMatch(/stored\s+0/);
    expect(await counts()).toEqual(before);
  });

  it('imports an mbox: split on From lines, >From unescaped, archive mode acknowledges nobody', async () => {
    const mbox = [
      'From sender1@kunde1.example Tue Dec  3 10:00:00 2024',
      message(1, 'Hei,\n\nvarmepumpen virker ikke.\n>From the manual: restart it.\n>>From nested\nMvh Sender 1\n'),
      'From sender2@kunde2.example Tue Dec  3 10:05:00 2024',
      message(2, 'Hei,\n\nFrom here on it is broken too. Varmepumpen virker ikke.\n'),
      'From sender3@kunde3.example Tue Dec  3 10:10:00 2024',
      message(3, 'Hei,\n\nvarmepumpen lekker vann, kan dere hjelpe?\n'),
      '',
    ].join('\n');
    const file = path.join(dataDir, 'old.mbox');
    writeFileSync(file, mbox);
    const outboxBefore = Number((await sql()('select count(*) as n from outbox_message'))[0]!.n);
    const r = await cli('import', file, '--archive', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ kind: 'mbox', messages: 3, stored: 3, duplicates: 0, quarantined: 0, archive: true });
    expect(Number((await sql()('select count(*) as n from outbox_message'))[0]!.n)).toBe(outboxBefore);
    const rows = await sql()(`select id, archive, message_id, parsed->>'text' as text, internal_date from inbound_message where message_id like '<mbox-%' order by id`);
    expect(rows.map((x) => x.message_id)).toEqual(['<mbox-1@kunde1.example>', '<mbox-2@kunde2.example>', '<mbox-3@kunde3.example>']);
    expect(rows.every((x) => x.archive)).toBe(true);
    expect(rows[0]!.text).toContain('\nFrom the manual: restart it.');
    expect(rows[0]!.text).toContain('\n>From nested');
    expect(rows[1]!.text).toContain('From here on it is broken too.');
    expect(new Date(rows[0]!.internal_date).toISOString()).toBe('2024-12-03T10:00:00.000Z');
    // Re-importing the mbox: duplicates only.
    const again = await cli('import', file, '--archive', '--json');
    expect(again.json).toMatchObject({ messages: 3, stored: 0, duplicates: 3 });
  });

  it('imports a single .eml from a nested directory', async () => {
    const dir = path.join(dataDir, 'nested/a/b');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'one.eml'), message(4, 'Hei, varmepumpen virker ikke etter strømbrudd.\n'));
    writeFileSync(path.join(dir, 'ignored.txt'), 'not mail');
    const r = await cli('import', path.join(dataDir, 'nested'), '--json');
    expect(r.json).toMatchObject({ kind: 'dir', messages: 1, stored: 1 });
  });

  it('bad input: one clear line and a non-zero exit', async () => {
    expectCleanFailure(await cli('import', path.join(dataDir, 'does-not-exist.mbox')), /does-not-exist\.mbox: no such file or directory/);
    const empty = path.join(dataDir, 'empty-dir');
    mkdirSync(empty, { recursive: true });
    expectCleanFailure(await cli('import', empty), /no messages in this directory/);
  });
});

describe('mailroom messages', () => {
  it('lists inbound messages with state, outcome, record and automated kind as a JSON array', async () => {
    const r = await cli('messages', 'list', '--json', '--limit', '500');
    expect(r.code, r.stderr).toBe(0);
    expect(Array.isArray(r.json)).toBe(true);
    for (const m of r.json) {
      expect(Object.keys(m)).toEqual(
        expect.arrayContaining(['id', 'source', 'state', 'outcome', 'recordRef', 'subject', 'from', 'messageId', 'automatedKind', 'language', 'problems', 'attachments', 'size', 'archive', 'receivedAt', 'filedAt']),
      );
    }
    const bounce = r.json.find((m: any) => m.outcome === 'bounce');
    expect(bounce).toMatchObject({ state: 'filed', automatedKind: 'bounce', source: 'import' });
    const filedOnly = await cli('messages', 'list', '--json', '--state', 'duplicate');
    expect(filedOnly.json.length).toBeGreaterThanOrEqual(13);
    expect(filedOnly.json.every((m: any) => m.state === 'duplicate')).toBe(true);
  });

  it('shows one message with attachments, headers and problems', async () => {
    const [row] = await sql()(`select inbound_message_id as id from attachment where filename is not null order by inbound_message_id limit 1`);
    const r = await cli('messages', 'show', String(row!.id), '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ id: String(row!.id), state: 'filed' });
    expect(r.json.attachmentList.length).toBeGreaterThan(0);
    expect(r.json.attachmentList[0]).toEqual(expect.objectContaining({ filename: expect.anything(), contentType: expect.any(String), size: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }));
    expect(Array.isArray(r.json.to)).toBe(true);
    expectCleanFailure(await cli('messages', 'show', '999999'), /no inbound message 999999/);
    const human = await cli('messages', 'show', String(row!.id));
    expect(human.stdout).toMatch(/^id\s+\d+$/m);
  });
});

describe('mailroom quarantine', () => {
  let id: string;
  beforeAll(async () => {
    // A message that failed for good (as after maxAttempts).
    const [row] = await sql()(`select id from inbound_message where message_id = '<mbox-3@kunde3.example>'`);
    id = String(row!.id);
    await sql()(`update inbound_message set state = 'quarantined', outcome = 'quarantined', last_error = 'simulated: handler failed 5 times' where id = ?`, [id]);
    // Undo what filing it had done, so the retry files it afresh.
    const [msg] = await sql()(`select record_ref from inbound_message where id = ?`, [id]);
    expect(msg!.record_ref).toBeTruthy();
  });

  it('lists and shows quarantined messages with the reason and size', async () => {
    const list = await cli('quarantine', 'list', '--json');
    expect(list.code, list.stderr).toBe(0);
    const item = list.json.find((q: any) => q.id === id);
    expect(item).toMatchObject({ reason: 'simulated: handler failed 5 times', size: expect.any(Number), subject: 'Feil på varmepumpe nummer 3' });
    const show = await cli('quarantine', 'show', id, '--json');
    expect(show.json).toMatchObject({ id, reason: 'simulated: handler failed 5 times', rawStored: true });
    expect(show.json.rawBytes).toBe(show.json.size);
    expectCleanFailure(await cli('quarantine', 'show', '1'), /no quarantined message 1/);
  });

  it('show --raw writes the stored bytes unchanged', async () => {
    const r = await cli('quarantine', 'show', id, '--raw');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Message-ID: <mbox-3@kunde3.example>');
    expect(r.stdout).toContain('varmepumpen lekker vann');
    expect(r.stdout.startsWith('From: Mbox Sender 3')).toBe(true);
  });

  it('retry --now puts it back into the pipeline and files it', async () => {
    const r = await cli('quarantine', 'retry', id, '--now', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ id, state: 'filed' });
    expect((await cli('quarantine', 'list', '--json')).json.find((q: any) => q.id === id)).toBeUndefined();
    expectCleanFailure(await cli('quarantine', 'retry', id), /no quarantined message/);
  });
});
