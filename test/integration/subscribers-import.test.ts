/**
 * Issue 18.4: `subscribers import` through the one table import `records import` uses, run as
 * the real binary against a database of this file's own: Norwegian Excel's semicolons and
 * Windows-1252, a short and a long row, a bad address by line and column, --all-or-nothing,
 * suppressed addresses skipped, unknown lists, and never a stack trace.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, expectCleanFailure } from '../support/cli-runner.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { sqlOf } from '../../src/db/sql.ts';

let db: TestDatabase;
let dataDir: string;
const cli = (...args: string[]) => runCli({ databaseUrl: db.url, dataDir }, ...args);
const file = (name: string, content: string | Buffer) => {
  const p = path.join(dataDir, name);
  writeFileSync(p, content);
  return p;
};
const subscribed = async (list: string) =>
  (
    await sqlOf(db.orm.em.fork())<{ email: string; name: string | null; status: string }>(
      `select s.email, s.name, x.status from newsletter_subscriber s join newsletter_subscription x on x.subscriber_id = s.id join newsletter_list l on l.id = x.list_id where l.slug = ? order by s.email`,
      [list],
    )
  ).map((r) => `${r.email} ${r.name ?? '-'} ${r.status}`);

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = mkdtempSync(path.join(tmpdir(), 'mailroom-subscribers-import-'));
  for (const slug of ['kunder', 'partnere']) {
    const r = await cli('lists', 'create', slug, '--nb', slug, '--en', slug);
    expect(r.code, r.stderr).toBe(0);
  }
});
afterAll(async () => {
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('mailroom subscribers import', () => {
  it('a semicolon file from Norwegian Excel (Windows-1252, Norwegian headers) imports every row', async () => {
    const csv = iconv.encode('E-post;Navn;Språk\r\nastrid.aas@fjellheim.example;Åsmund Ærø;nb\r\nbo.berg@fjellheim.example;Bø Bergstrøm;en\r\n', 'windows-1252');
    const r = await cli('subscribers', 'import', file('excel.csv', csv), '--list', 'kunder');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('subscribers: 2 added, 0 unchanged, 0 rejected');
    expect(r.stderr).toMatch(/warning: the file is not UTF-8; read as windows-1252/);
    expect(await subscribed('kunder')).toEqual(['astrid.aas@fjellheim.example Åsmund Ærø confirmed', 'bo.berg@fjellheim.example Bø Bergstrøm confirmed']);
    // The same file again changes nothing.
    const again = await cli('subscribers', 'import', file('excel.csv', csv), '--list', 'kunder', '--json');
    expect(again.json).toMatchObject({ created: 0, unchanged: 2, rejected: 0 });
  });

  it('a short row, a long row and a bad address are reported by line and column; the rest goes in', async () => {
    const csv = file(
      'mixed.csv',
      ['email,name,language', 'cato.dahl@sjobod.example,Cato Dahl,nb', 'dina.eng@sjobod.example', 'erik.fos@sjobod.example,Erik,Fos,nb', 'ikke-en-adresse,Frida,nb', 'gro.hauk@sjobod.example,Gro Hauk,sv', ''].join('\n'),
    );
    const r = await cli('subscribers', 'import', csv, '--list', 'partnere');
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toBe('subscribers: 2 added, 0 unchanged, 3 rejected');
    expect(r.stderr).toContain(`${csv}: line 4: has 4 fields where the header has 3`);
    expect(r.stderr).toContain(`${csv}: line 5, email: not an email address ("ikke-en-adresse")`);
    expect(r.stderr).toContain(`${csv}: line 6, language: must be nb or en`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await subscribed('partnere')).toEqual(['cato.dahl@sjobod.example Cato Dahl confirmed', 'dina.eng@sjobod.example - confirmed']);
  });

  it('--all-or-nothing imports none of a file with a bad row', async () => {
    const csv = file('strict.csv', 'email;name\nhanne.ile@brygga.example;Hanne\nfeil@;Ivar\n');
    const r = await cli('subscribers', 'import', csv, '--list', 'partnere', '--all-or-nothing', '--json');
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ imported: false, created: 0, problems: [{ line: 3, field: 'email' }] });
    expect(await subscribed('partnere')).not.toContainEqual(expect.stringContaining('hanne.ile'));
  });

  it('a suppressed address is skipped with the reason, never added again', async () => {
    const csv = file('back.csv', 'email\ncato.dahl@sjobod.example\njon.kvam@brygga.example\n');
    const un = await cli('subscribers', 'unsubscribe', 'cato.dahl@sjobod.example');
    expect(un.code, un.stderr).toBe(0);
    const r = await cli('subscribers', 'import', csv, '--list', 'partnere');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('subscribers: 1 added, 0 unchanged, 1 skipped, 0 rejected');
    expect(r.stderr).toMatch(/line 2: skipped: the address is suppressed/);
    expect(await subscribed('partnere')).toContain('cato.dahl@sjobod.example Cato Dahl unsubscribed');
  });

  it('bad input is one clear line: unknown list, missing file, no email column, wrong file type', async () => {
    const ok = file('one.csv', 'email\nkari.lie@brygga.example\n');
    expectCleanFailure(await cli('subscribers', 'import', ok, '--list', 'bogus'), /unknown list bogus \(lists: kunder, partnere\); nothing was imported/, { oneLine: true });
    expectCleanFailure(await cli('subscribers', 'import', ok, '--list', 'kunder', 'bogus'), /unknown list bogus/, { oneLine: true });
    expectCleanFailure(await cli('subscribers', 'import', path.join(dataDir, 'nope.csv'), '--list', 'kunder'), /nope\.csv: no such file/, { oneLine: true });
    expectCleanFailure(await cli('subscribers', 'import', file('names.csv', 'navn;telefon\nKari;99\n'), '--list', 'kunder'), /names\.csv: no "email" column for subscribers/, { oneLine: true });
    expectCleanFailure(await cli('subscribers', 'import', file('list.xlsx', 'x'), '--list', 'kunder'), /use a \.csv or \.json file/, { oneLine: true });
    expectCleanFailure(await cli('subscribers', 'add', 'kari.lie@brygga.example', '--list', 'bogus'), /unknown list bogus/, { oneLine: true });
    expectCleanFailure(await cli('subscribers', 'unsubscribe', 'ingen@brygga.example'), /no subscriber ingen@brygga\.example/, { oneLine: true });
    expect(await subscribed('kunder')).not.toContainEqual(expect.stringContaining('kari.lie'));
  });
});
