/**
 * Issue 16, "Explain and learn": `mailroom classify explain` shows why a message goes where it
 * goes without filing it; every route staff decide (a triage item resolved, a ticket or lead
 * moved with `tasks reclassify`) is recorded, and `classify corrections` exports them as
 * labelled examples that `classify eval` reads. All through the real `mailroom` binary.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, expectCleanFailure } from '../support/cli-runner.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { seedFixtureCompany } from '../support/filing-harness.ts';
import { sqlOf } from '../../src/db/sql.ts';

let db: TestDatabase;
let dir: string;
const cli = (...args: string[]) => runCli({ databaseUrl: db.url, dataDir: path.join(dir, 'data') }, ...args);
const q = <T = Record<string, any>>(text: string, params: unknown[] = []) => sqlOf(db.orm.em.fork())<T>(text, params);

function mail(name: string, o: { from: string; subject: string; body: string }): string {
  const file = path.join(dir, 'mail', `${name}.eml`);
  writeFileSync(
    file,
    [`From: ${o.from}`, 'To: post@infracomfort.example', `Subject: ${o.subject}`, `Message-ID: <${name}@classify-cli.example>`, 'Date: Mon, 02 Nov 2026 09:00:00 +0100', 'Content-Type: text/plain; charset=utf-8', '', o.body, ''].join('\r\n'),
  );
  return file;
}

let split: string;
let vague: string;
let pitch: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await seedFixtureCompany(db.orm);
  dir = mkdtempSync(path.join(tmpdir(), 'mailroom-classify-cli-'));
  mkdirSync(path.join(dir, 'mail'));
  split = mail('split', {
    from: 'Per Dahl <per@dahl-kontor.example>',
    subject: 'Spørsmål',
    body: 'Vi ønsker tilbud på nye paneler til kontoret. Og varmepumpa i kantina har feilkode E7 og blåser kaldt, kan dere sende en tekniker?',
  });
  vague = mail('vague', { from: 'Siv Lunde <siv.lunde@lunde-eiendom.example>', subject: 'Hei', body: 'Kan noen ringe meg i morgen? Det gjelder byggene våre på Skøyen.\n\nSiv' });
  pitch = mail('pitch', { from: 'Lars <lars@leverandor.example>', subject: 'Kontorrekvisita', body: 'Hei, vi leverer kontorrekvisita til bedrifter i Oslo-området. Kan vi ta en prat?' });
}, 60_000);

afterAll(async () => {
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('classify explain', () => {
  it('prints route, scores, matched rules and language of a message without filing it', async () => {
    const r = await cli('classify', 'explain', split, '--first-contact', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ route: 'triage', language: 'nb', requester: 'per@dahl-kontor.example' });
    expect(r.json.scores.sales).toBeGreaterThanOrEqual(3);
    expect(r.json.scores.support).toBeGreaterThanOrEqual(3);
    expect(r.json.reasons.some((x: string) => x.startsWith('sales.request: "tilbud på"'))).toBe(true);
    expect(r.json.reasons.at(-1)).toMatch(/^triage: split evidence/);

    // As the daemon would: the known contact (Kari at a customer) is looked up and weighs in.
    const known = mail('known', { from: 'Kari Nordmann <kari.nordmann@fjordvarme.example>', subject: 'Hei', body: 'Kan dere ringe meg?' });
    const k = await cli('classify', 'explain', known);
    expect(k.code, k.stderr).toBe(0);
    expect(k.stdout).toMatch(/^route: +support$/m);
    expect(k.stdout).toMatch(/known contact: support \+1/);
    expect(k.stdout).toMatch(/organisation is a customer: support \+2/);

    expect(await q('select id from inbound_message')).toEqual([]);
  });

  it('bad input gets one clear line and a non-zero exit', async () => {
    expectCleanFailure(await cli('classify', 'explain', path.join(dir, 'nope.eml'), '--first-contact'), /nope\.eml: cannot be read/, { oneLine: true });
    expectCleanFailure(await cli('classify', 'eval', path.join(dir, 'nope')), /nope: no such file or folder/, { oneLine: true });
  });
});

describe('staff corrections become labelled examples', () => {
  it('triage resolved, a ticket moved to sales and a ticket moved to spam are each recorded and exported', async () => {
    const imported = await cli('import', split, '--json');
    expect(imported.code, imported.stderr).toBe(0);
    for (const f of [vague, pitch]) expect((await cli('import', f, '--json')).code).toBe(0);
    const outcomes = await q<{ message_id: string; outcome: string; record_ref: string }>(`select message_id, outcome, record_ref from inbound_message order by id`);
    expect(outcomes.map((o) => o.outcome)).toEqual(['triage', 'ticket', 'ticket']);

    // 1. The split mail: staff decide it is sales.
    const [item] = (await cli('triage', 'list', '--json')).json;
    const resolved = await cli('triage', 'resolve', item.id, '--route', 'sales', '--as', 'Ada', '--json');
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(resolved.json).toMatchObject({ outcome: 'lead' });

    // 2. The vague mail became a ticket; it was a sales enquiry: moved from its task.
    const tasks = (await cli('tasks', 'list', '--json', '--kind', 'new-ticket')).json as Array<{ id: string; record: string }>;
    const vagueTicket = outcomes[1]!.record_ref;
    const task = tasks.find((t) => t.record === vagueTicket)!;
    const moved = await cli('tasks', 'reclassify', task.id, 'sales', '--as', 'kari', '--json');
    expect(moved.code, moved.stderr).toBe(0);
    const [lead] = await q<{ ref: string; linked_ref: string; email: string }>(`select l.ref, l.linked_ref, c.email from lead l join contact c on c.id = l.contact_id where l.linked_ref = ?`, [vagueTicket]);
    expect(lead).toMatchObject({ linked_ref: vagueTicket, email: 'siv.lunde@lunde-eiendom.example' });
    expect((await q(`select status from ticket where ref = ?`, [vagueTicket]))[0]).toMatchObject({ status: 'closed' });
    expect((await q(`select outcome, record_ref from inbound_message where record_ref = ?`, [lead!.ref]))[0]).toMatchObject({ outcome: 'lead' });
    // A ticket cannot be "moved" to where it is.
    const pitchTask = tasks.find((t) => t.record === outcomes[2]!.record_ref)!;
    expectCleanFailure(await cli('tasks', 'reclassify', pitchTask.id, 'support', '--as', 'kari'), /SUP-\d{6} is already a ticket/, { oneLine: true });

    // 3. The pitch became a ticket; it is spam: the ticket is closed, no new record.
    const spam = await cli('tasks', 'reclassify', pitchTask.id, 'spam', '--as', 'kari', '--json');
    expect(spam.code, spam.stderr).toBe(0);
    expect((await q(`select status from ticket where ref = ?`, [outcomes[2]!.record_ref]))[0]).toMatchObject({ status: 'closed' });

    const exported = await cli('classify', 'corrections', '--json');
    expect(exported.code, exported.stderr).toBe(0);
    const rows = exported.json as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(Object.keys(r).sort()).toEqual(['at', 'body', 'by', 'correctedRoute', 'from', 'id', 'inboundMessageId', 'originalRoute', 'recordRef', 'source', 'subject'].sort());
    const byFrom = new Map(rows.map((r) => [r.from, r]));
    expect(byFrom.get('per@dahl-kontor.example')).toMatchObject({ source: 'triage', originalRoute: 'triage', correctedRoute: 'sales', by: 'Ada', subject: 'Spørsmål' });
    expect(byFrom.get('per@dahl-kontor.example')!.body).toContain('tilbud på nye paneler');
    expect(byFrom.get('siv.lunde@lunde-eiendom.example')).toMatchObject({ source: 'reclassify', originalRoute: 'support', correctedRoute: 'sales', by: 'kari', recordRef: lead!.ref });
    expect(byFrom.get('lars@leverandor.example')).toMatchObject({ source: 'reclassify', originalRoute: 'support', correctedRoute: 'spam', by: 'kari' });
    expect(new Date(String(rows[0]!.at)).getTime()).toBeGreaterThan(Date.now() - 10 * 60_000);

    // The export is an evaluation set as it stands.
    const lines = await cli('classify', 'corrections', '--jsonl');
    mkdirSync(path.join(dir, 'learned'));
    writeFileSync(path.join(dir, 'learned', 'corrections.jsonl'), lines.stdout);
    const ev = await cli('classify', 'eval', path.join(dir, 'learned'), '--json');
    expect(ev.code, ev.stderr).toBe(0);
    expect(ev.json.count).toBe(3);
    expect(ev.json.labels.sales.n).toBe(2);
    expect(ev.json.labels.spam.n).toBe(1);
  });
});
