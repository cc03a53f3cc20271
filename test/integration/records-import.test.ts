/**
 * `mailroom records import`: parsing and validation as functions, then the real CLI against a
 * database of this file's own (created/updated/unchanged counts, bad rows by line and field,
 * --all-or-nothing, passwords never imported).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../support/cli-runner.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { sqlOf } from '../../src/db/sql.ts';
import { parseRecords, mapColumns, jsonElementLines, formatProblem, RecordsFileError, type ImportKind } from '../../src/records/records-import.ts';
import { migrationsList } from '../../src/db/migrations/index.ts';
import { Migration20261126000005_company_records } from '../../src/db/migrations/Migration20261126000005_company_records.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'test/fixtures/records');
const fixture = (name: string) => path.join(fixtures, name);
const read = (name: string) => readFileSync(fixture(name), 'utf8');

describe('parsing and validation (no database)', () => {
  it('reports a bad row with its line and the column name of the file; keeps the rest', () => {
    const r = parseRecords('contacts', read('contacts.csv'), 'csv');
    expect(r.rows.map((x) => x.line)).toEqual([2, 3, 4, 6, 7]);
    expect(r.problems).toEqual([{ line: 5, field: 'email', message: 'not an email address ("not-an-address")' }]);
    expect(formatProblem(r.problems[0]!)).toBe('line 5, email: not an email address ("not-an-address")');
    expect(r.rows[0]!.value).toMatchObject({ email: 'kari.nordmann@fjordvarme.example', roles: ['support-contact', 'ops-notice-contact'] });
  });

  it('JSON rows are reported by the line their object starts on', () => {
    const r = parseRecords('contacts', read('contacts.json'), 'json');
    expect(r.rows.map((x) => x.line)).toEqual([3]);
    expect(r.problems).toEqual([{ line: 9, field: 'language', message: 'must be nb, nn or en' }]);
    expect(jsonElementLines('[\n {"a": "}{"},\n {"b": [1, {"c": 2}]}\n]', 1)).toEqual([2, 3]);
  });

  it('orders: CSV rows per order line are grouped; Norwegian numbers and dates; impossible dates refused', () => {
    const r = parseRecords('orders', read('orders.csv'), 'csv');
    expect(r.rows.map((x) => x.value)).toEqual([
      expect.objectContaining({ number: '100231', date: '2024-03-14', lines: [{ sku: 'VP-200', description: 'Varmepumpe 200', quantity: 2, unitPrice: 24990 }, { sku: 'MONT-1', description: 'Montering', quantity: 1, unitPrice: 4500 }] }),
      expect.objectContaining({ number: '100232', date: '2019-01-15', lines: [{ sku: 'PANEL-600', description: 'Varmepanel 600 W', quantity: 4, unitPrice: 1299.5 }] }),
    ]);
    expect(r.problems).toEqual([{ line: 5, field: 'Order date', message: 'no such date ("2024-02-30")' }]);
    const json = parseRecords('orders', read('orders.json'), 'json');
    expect(json.rows[0]!.value).toMatchObject({ number: 'W-5001', deliveryAddress: '1 Harbour Road, D02 Dublin, Ireland', currency: 'EUR' });
  });

  it('password and hash columns are dropped with a warning, never read', () => {
    expect(mapColumns('portal-users', ['username', 'password_hash', 'Passord', 'pwd', 'email']).secret).toEqual(['password_hash', 'Passord', 'pwd']);
    const r = parseRecords('portal-users', read('portal-users.csv'), 'csv');
    expect(r.warnings).toEqual([expect.stringMatching(/"password_hash" ignored: passwords and hashes are never imported/)]);
    expect(JSON.stringify(r.rows)).not.toMatch(/\$2b\$/);
    expect(r.rows.map((x) => (x.value as { superuser?: boolean }).superuser)).toEqual([true, true, false]);
  });

  it('whole-file problems are one RecordsFileError', () => {
    expect(() => parseRecords('contacts', 'name,phone\nKari,1\n', 'csv')).toThrow(RecordsFileError);
    expect(() => parseRecords('contacts', 'name,phone\nKari,1\n', 'csv')).toThrow(/no "email" column/);
    expect(() => parseRecords('contacts', '{"a": 1', 'json')).toThrow(/not valid JSON/);
    expect(() => parseRecords('contacts', 'email\n"unterminated\n', 'csv')).toThrow(/not valid CSV/);
  });

  it('duplicate keys within one file: the later row is reported', () => {
    const r = parseRecords('portal-users', 'username,email\nkari,a@b.example\nKARI,c@d.example\n', 'csv');
    expect(r.problems).toEqual([{ line: 3, field: 'username', message: 'same username as line 2' }]);
  });
});

// ---------------------------------------------------------------------------------------

let db: TestDatabase;
let dataDir: string;

const cli = (...args: string[]) => runCli({ databaseUrl: db.url, dataDir }, ...args);

const importJson = async (kind: ImportKind, file: string, ...flags: string[]) => cli('records', 'import', kind, file, '--json', ...flags);
const sql = () => sqlOf(db.orm.em.fork());
const counts = (r: CliResult) => ({ created: r.json.created, updated: r.json.updated, unchanged: r.json.unchanged, rejected: r.json.rejected });

describe('mailroom records import', () => {
  beforeAll(async () => {
    db = await createTestDatabase();
    if (!migrationsList.some((m) => m.name === 'Migration20261126000005_company_records')) {
      // Until migration 0005 is listed in src/db/migrations/index.ts.
      const m = new Migration20261126000005_company_records(db.orm.em.getDriver() as never, db.orm.config);
      await m.up();
      for (const q of m.getQueries()) await db.orm.em.getConnection().execute(q as string);
    }
    dataDir = mkdtempSync(path.join(tmpdir(), 'mailroom-records-import-'));
  });
  afterAll(async () => {
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('organisations: created, then unchanged on re-import', async () => {
    const first = await importJson('organisations', fixture('organisations.csv'));
    expect(first.code, first.stderr).toBe(0);
    expect(counts(first)).toEqual({ created: 4, updated: 0, unchanged: 0, rejected: 0 });
    const again = await cli('records', 'import', 'organisations', fixture('organisations.csv'));
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('organisations: 0 created, 0 updated, 4 unchanged, 0 rejected\n');
  });

  it('contacts: the bad row is reported with line and field, the rest imported and linked; re-import unchanged', async () => {
    const r = await importJson('contacts', fixture('contacts.csv'));
    expect(r.code).toBe(1);
    expect(counts(r)).toEqual({ created: 5, updated: 0, unchanged: 0, rejected: 1 });
    expect(r.json.problems).toEqual([{ line: 5, field: 'email', message: 'not an email address ("not-an-address")' }]);
    const rows = await sql()(`select c.email, c.roles, o.name as org from contact c left join organisation o on o.id = c.organisation_id order by c.email`);
    expect(rows).toEqual([
      { email: 'kari.nordmann@fjordvarme.example', roles: ['support-contact', 'ops-notice-contact'], org: 'Fjordvarme AS' },
      { email: 'ola.hansen@fjordvarme.example', roles: [], org: 'Fjordvarme AS' },
      { email: 'per.privat@gmail.com', roles: [], org: null },
      { email: 'siri.berg@nordlys.example', roles: ['superuser'], org: 'Nordlys Eiendom AS' },
      { email: 'tom.jensen@havnehuset.example', roles: ['ops-notice-contact'], org: 'Havnehuset' },
    ]);
    const human = await cli('records', 'import', 'contacts', fixture('contacts.csv'));
    expect(human.code).toBe(1);
    expect(human.stdout).toBe('contacts: 0 created, 0 updated, 5 unchanged, 1 rejected\n');
    expect(human.stderr).toContain('contacts.csv: line 5, email: not an email address ("not-an-address")');
    expect(human.stderr).not.toMatch(/\n\s+at /);
  });

  it('a changed row is updated, the others stay unchanged', async () => {
    const changed = path.join(dataDir, 'contacts-changed.csv');
    writeFileSync(changed, read('contacts.csv').replace('Driftsleder', 'Driftssjef'));
    const r = await importJson('contacts', changed);
    expect(counts(r)).toEqual({ created: 0, updated: 1, unchanged: 4, rejected: 1 });
    expect((await sql()(`select title from contact where email = 'kari.nordmann@fjordvarme.example'`))[0]!.title).toBe('Driftssjef');
  });

  it('an organisation that does not exist rejects that row only', async () => {
    const r = await importJson('contacts', fixture('contacts-unknown-org.csv'));
    expect(counts(r)).toEqual({ created: 1, updated: 0, unchanged: 0, rejected: 1 });
    expect(r.json.problems).toEqual([{ line: 3, field: 'organisation', message: 'no organisation with name, external ref or domain "No Such Company AS"' }]);
  });

  it('--all-or-nothing imports nothing when a row is bad (in the file or refused by the database)', async () => {
    const before = (await sql()('select count(*) as n from contact'))[0]!.n;
    const bad = await importJson('contacts', fixture('contacts.json'), '--all-or-nothing');
    expect(bad.code).toBe(1);
    expect(bad.json).toMatchObject({ imported: false, created: 0, rejected: 1, problems: [{ line: 9, field: 'language' }] });
    const refused = await importJson('contacts', fixture('contacts-unknown-org.csv'), '--all-or-nothing');
    expect(refused.json).toMatchObject({ imported: false, created: 0, unchanged: 0 });
    const fixedFile = path.join(dataDir, 'contacts-ok.json');
    writeFileSync(fixedFile, read('contacts.json').replace('"sv"', '"nb"'));
    expect((await sql()('select count(*) as n from contact'))[0]!.n).toBe(before);
    const ok = await importJson('contacts', fixedFile, '--all-or-nothing');
    expect(ok.json).toMatchObject({ imported: true, created: 2, rejected: 0 });
    expect((await sql()(`select o.external_ref from contact c join organisation o on o.id = c.organisation_id where c.email = 'lise.moe@havnehuset.example'`))[0]).toEqual({ external_ref: 'K-1002' });
  });

  it('orders: lines grouped, buyer linked to contact and organisation; bad date reported; re-import unchanged', async () => {
    const r = await importJson('orders', fixture('orders.csv'));
    expect(counts(r)).toEqual({ created: 2, updated: 0, unchanged: 0, rejected: 1 });
    expect(r.json.problems).toEqual([{ line: 5, field: 'Order date', message: 'no such date ("2024-02-30")' }]);
    const [o] = await sql()(
      `select o.order_date::text as date, o.lines, o.delivery_address, c.email, g.external_ref from customer_order o
         left join contact c on c.id = o.buyer_contact_id left join organisation g on g.id = o.buyer_organisation_id where order_number = '100231'`,
    );
    expect(o).toMatchObject({ date: '2024-03-14', delivery_address: 'Kaiveien 4, 5003 Bergen', email: 'kari.nordmann@fjordvarme.example', external_ref: 'K-1001' });
    expect(o!.lines).toHaveLength(2);
    expect(counts(await importJson('orders', fixture('orders.csv')))).toEqual({ created: 0, updated: 0, unchanged: 2, rejected: 1 });
    const json = await importJson('orders', fixture('orders.json'));
    expect(counts(json)).toEqual({ created: 1, updated: 0, unchanged: 0, rejected: 0 });
    expect((await sql()(`select buyer_email, buyer_name from customer_order where order_number = 'W-5001'`))[0]).toEqual({ buyer_email: 'liam@nordicbuild.example', buyer_name: null });
    expect(counts(await importJson('orders', fixture('orders.json')))).toEqual({ created: 0, updated: 0, unchanged: 1, rejected: 0 });
  });

  it('portal users: the password hash column is ignored with a warning and stored nowhere', async () => {
    const r = await importJson('portal-users', fixture('portal-users.csv'));
    expect(r.code, r.stderr).toBe(0);
    expect(counts(r)).toEqual({ created: 3, updated: 0, unchanged: 0, rejected: 0 });
    expect(r.stderr).toMatch(/warning: column "password_hash" ignored: passwords and hashes are never imported/);
    const rows = await sql()(`select to_jsonb(p) as row from portal_user p order by username`);
    expect(JSON.stringify(rows)).not.toMatch(/\$2b\$/);
    expect(rows.map((x) => [x.row.username, x.row.superuser, !!x.row.contact_id])).toEqual([
      ['kari', true, true],
      ['ola', false, true],
      ['siri.berg', true, true],
    ]);
    expect(counts(await importJson('portal-users', fixture('portal-users.csv')))).toEqual({ created: 0, updated: 0, unchanged: 3, rejected: 0 });
  });

  it('project participants: unique per project and address; shown on the contact', async () => {
    const r = await importJson('project-participants', fixture('project-participants.csv'));
    expect(counts(r)).toEqual({ created: 4, updated: 0, unchanged: 0, rejected: 0 });
    expect(counts(await importJson('project-participants', fixture('project-participants.csv')))).toEqual({ created: 0, updated: 0, unchanged: 4, rejected: 0 });
    const kari = await cli('contacts', 'show', 'kari.nordmann@fjordvarme.example', '--json');
    expect(kari.json).toMatchObject({
      orders: [{ number: '100231', date: '2024-03-14' }],
      portalUsers: [{ username: 'kari', superuser: true }],
      projects: [{ project: 'Kaiveien 4 rehab', role: 'Byggherre' }],
    });
  });

  it('bad input: one clear line, non-zero exit', async () => {
    const missing = await cli('records', 'import', 'contacts', path.join(dataDir, 'missing.csv'));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim()).toBe(`mailroom: ${path.join(dataDir, 'missing.csv')}: no such file`);
    const wrongKind = await cli('records', 'import', 'invoices', fixture('contacts.csv'));
    expect(wrongKind.code).not.toBe(0);
    expect(wrongKind.stderr).toMatch(/invoices/);
    expect(wrongKind.stderr).not.toMatch(/\n\s+at /);
    const txt = path.join(dataDir, 'contacts.xlsx');
    writeFileSync(txt, 'x');
    expect((await cli('records', 'import', 'contacts', txt)).stderr.trim()).toMatch(/use a \.csv or \.json file$/);
    const noEmail = path.join(dataDir, 'no-email.csv');
    writeFileSync(noEmail, 'name,phone\nKari,1\n');
    const r = await cli('records', 'import', 'contacts', noEmail);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toMatch(/^mailroom: .*no-email\.csv: no "email" column for contacts/);
  });
});
