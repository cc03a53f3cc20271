/**
 * Issue 18.6: `mailroom import` refuses what is not mail, says which file and why, and lists
 * what a directory import skipped; real messages under any name, and mbox files, still import.
 * Through the real binary against a database of this file's own.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, expectCleanFailure } from '../support/cli-runner.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { sqlOf } from '../../src/db/sql.ts';

let db: TestDatabase;
let dataDir: string;
let work: string;
const cli = (...args: string[]) => runCli({ databaseUrl: db.url, dataDir }, ...args);
const inboundCount = async () => Number((await sqlOf(db.orm.em.fork())<{ n: string }>('select count(*) as n from inbound_message'))[0]!.n);

function message(o: { from: string; subject: string; id: string; body: string }): string {
  return [`From: ${o.from}`, 'To: post@infracomfort.example', `Subject: ${o.subject}`, 'Date: Tue, 02 Jun 2026 10:15:00 +0200', `Message-ID: <${o.id}>`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', o.body, ''].join('\r\n');
}

/** Bytes as a camera writes them: the JPEG start-of-image marker, then noise. */
const jpeg = () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(4092)]);

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = mkdtempSync(path.join(tmpdir(), 'mailroom-import-nonmail-'));
  work = path.join(dataDir, 'files');
  mkdirSync(work, { recursive: true });
});
afterAll(async () => {
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('mailroom import with files that are not mail', () => {
  it('a photo, random bytes or a note given alone is refused with the reason, and nothing is stored', async () => {
    const photo = path.join(work, 'photo.jpg');
    writeFileSync(photo, jpeg());
    expectCleanFailure(await cli('import', photo), /photo\.jpg: not a message \(a JPEG image\); nothing was imported/, { oneLine: true });
    const noise = path.join(work, 'scan.eml');
    writeFileSync(noise, randomBytes(4096));
    expectCleanFailure(await cli('import', noise), /scan\.eml: not a message \(binary data\)/, { oneLine: true });
    const note = path.join(work, 'note.txt');
    writeFileSync(note, 'Husk å ringe rørleggeren før fredag.\n');
    expectCleanFailure(await cli('import', note), /note\.txt: not a message \(no header block/, { oneLine: true });
    expect(await inboundCount()).toBe(0);
  });

  it('a directory: messages under any name and an mbox without extension import; the rest is listed as skipped', async () => {
    const dir = path.join(work, 'export');
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'photo.jpg'), jpeg());
    writeFileSync(path.join(dir, 'readme.txt'), 'Eksport fra gammel e-postklient, 2019.\n');
    writeFileSync(path.join(dir, 'first.msg'), message({ from: 'Siri Lunde <siri@lundebygg.example>', subject: 'Varmepumpen piper', id: 'nonmail-1@lundebygg.example', body: 'Hei,\nvarmepumpen i kjelleren piper hvert tiende minutt.\nSiri' }));
    writeFileSync(path.join(dir, 'sub', 'second'), message({ from: 'Tor Eik <tor@eikbygg.example>', subject: 'Termostat viser feil', id: 'nonmail-2@eikbygg.example', body: 'Termostaten på kontoret viser 35 grader.\nTor' }));
    const mbox = [
      'From siri@lundebygg.example Tue Jun  2 10:20:00 2026',
      message({ from: 'Siri Lunde <siri@lundebygg.example>', subject: 'Glemte vedlegg', id: 'nonmail-3@lundebygg.example', body: 'Bilde kommer i neste e-post.' }).replace(/\r\n/g, '\n'),
      'From tor@eikbygg.example Tue Jun  2 10:25:00 2026',
      message({ from: 'Tor Eik <tor@eikbygg.example>', subject: 'Nytt tilbud?', id: 'nonmail-4@eikbygg.example', body: 'Kan dere gi pris på to nye paneler?' }).replace(/\r\n/g, '\n'),
    ].join('\n');
    writeFileSync(path.join(dir, 'Inbox'), mbox);
    const r = await cli('import', dir, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ kind: 'dir', messages: 4, stored: 4 });
    expect(r.json.skipped).toEqual([
      { file: path.join(dir, 'photo.jpg'), reason: 'not a message: a JPEG image' },
      { file: path.join(dir, 'readme.txt'), reason: expect.stringMatching(/^not a message: no header block/) },
    ]);
    const rows = await sqlOf(db.orm.em.fork())<{ subject: string }>('select subject from inbound_message order by subject');
    expect(rows.map((x) => x.subject)).toEqual(['Glemte vedlegg', 'Nytt tilbud?', 'Termostat viser feil', 'Varmepumpen piper']);
    // People read the same list in the summary.
    const again = await cli('import', dir);
    expect(again.stdout).toMatch(/skipped +.*photo\.jpg: not a message: a JPEG image/);
    expect(again.stdout).toMatch(/skipped +.*readme\.txt: not a message: no header block/);
  });

  it('a directory with nothing that is mail is an error naming what it skipped', async () => {
    const dir = path.join(work, 'pictures');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'a.jpg'), jpeg());
    expectCleanFailure(await cli('import', dir), /no messages in this directory \(skipped a\.jpg: not a message: a JPEG image\)/, { oneLine: true });
  });
});
