/**
 * Tickets, leads, contacts, organisations and triage through the real CLI (a subprocess), on
 * the fixtures imported with `mailroom import`: JSON shapes, a threaded staff reply through
 * the outbox, close/reopen, and resolving triage items.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, expectCleanFailure } from '../support/cli-runner.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { seedFixtureCompany } from '../support/filing-harness.ts';
import { sqlOf } from '../../src/db/sql.ts';
import { readThreadToken } from '../../src/threading/thread-token.ts';
import { normaliseMessageId } from '../../src/threading/resolve-thread.ts';
import { migrationsList } from '../../src/db/migrations/index.ts';
import { Migration20261126000005_company_records } from '../../src/db/migrations/Migration20261126000005_company_records.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SECRET = 'cli-test-secret-0123456789abcdef';
let db: TestDatabase;
let dataDir: string;

const cli = (...args: string[]) => runCli({ databaseUrl: db.url, dataDir, secret: SECRET }, ...args);

const sql = () => sqlOf(db.orm.em.fork());

async function ensureCompanyRecordTables(d: TestDatabase) {
  if (migrationsList.some((m) => m.name === 'Migration20261126000005_company_records')) return;
  const m = new Migration20261126000005_company_records(d.orm.em.getDriver() as never, d.orm.config);
  await m.up();
  for (const q of m.getQueries()) await d.orm.em.getConnection().execute(q as string);
}

beforeAll(async () => {
  db = await createTestDatabase();
  await ensureCompanyRecordTables(db);
  await seedFixtureCompany(db.orm);
  dataDir = mkdtempSync(path.join(tmpdir(), 'mailroom-cli-records-'));
  const r = await cli('import', path.join(root, 'test/fixtures/mail'), '--json');
  expect(r.code, r.stderr).toBe(0);
  // Privacy requests now have their own handler, and a vague mail is a ticket (issue 16): evidence
  // split between sales and support gives the triage queue something to hold.
  const vague = mkdtempSync(path.join(tmpdir(), 'mailroom-cli-vague-'));
  for (const n of [1, 2, 3]) {
    writeFileSync(
      path.join(vague, `vague-${n}.eml`),
      [`From: Ola Hansen ${n} <ola${n}@nyttfirma.example>`, 'To: post@infracomfort.example', `Subject: Spørsmål ${n}`, `Message-ID: <vague-${n}@nyttfirma.example>`, 'Content-Type: text/plain; charset=utf-8', '', 'Vi ønsker tilbud på nye paneler til kontoret. Og varmepumpa i kantina har feilkode E7 og blåser kaldt, kan dere sende en tekniker?', '', 'Ola', ''].join('\r\n'),
    );
  }
  const v = await cli('import', vague, '--json');
  expect(v.code, v.stderr).toBe(0);
  rmSync(vague, { recursive: true, force: true });
});
afterAll(async () => {
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('tickets', () => {
  it('list --json: an array with stable camelCase fields', async () => {
    const r = await cli('tickets', 'list', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.length).toBeGreaterThanOrEqual(3);
    for (const t of r.json) {
      expect(Object.keys(t).sort()).toEqual(
        ['acknowledgedAt', 'createdAt', 'language', 'lastMessageAt', 'linkedRef', 'messages', 'organisation', 'priority', 'ref', 'requester', 'requesterName', 'status', 'subject', 'updatedAt'].sort(),
      );
    }
    expect(r.json.find((t: any) => t.ref === 'SUP-000001')).toMatchObject({
      subject: 'Kan ikke logge inn i produktportalen',
      status: 'open',
      requester: 'kari.nordmann@fjordvarme.example',
      organisation: 'Fjordvarme AS',
      language: 'nb',
    });
    expect((await cli('tickets', 'list', '--json', '--status', 'closed')).json).toEqual([]);
    const human = await cli('tickets', 'list');
    expect(human.stdout).toMatch(/^ref\s+status/m);
  });

  it('show --json: participants, attachments and the timeline in order', async () => {
    const r = await cli('tickets', 'show', 'sup-000001', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ ref: 'SUP-000001', requester: 'kari.nordmann@fjordvarme.example' });
    expect(r.json.participants).toEqual([expect.objectContaining({ email: 'kari.nordmann@fjordvarme.example', name: 'Kari Nordmann' })]);
    expect(Array.isArray(r.json.attachments)).toBe(true);
    expect(r.json.timeline.map((m: any) => [m.direction, m.messageId?.startsWith('<mr1.') ? 'token' : m.messageId])).toEqual([
      ['in', '<fixture-01@mail.customer.example>'],
      ['out', 'token'],
      ['in', '<fixture-05@mail.customer.example>'],
    ]);
    expect(r.json.timeline[2].body).toContain('Nå fungerer innloggingen');
    const human = await cli('tickets', 'show', 'SUP-000001');
    expect(human.stdout).toMatch(/timeline \(3\)/);
    expectCleanFailure(await cli('tickets', 'show', 'SUP-999999'), /no ticket SUP-999999/);
  });

  it('reply: a threaded email in the outbox, recorded on the ticket and in the email log', async () => {
    const file = path.join(dataDir, 'reply.txt');
    writeFileSync(file, 'Hei Kari,\n\nså bra at det fungerer nå. Vi lukker saken.\n');
    const r = await cli('tickets', 'reply', 'SUP-000001', '--file', file, '--as', 'Ada Support', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ ref: 'SUP-000001', to: 'kari.nordmann@fjordvarme.example', queued: true, inReplyTo: '<fixture-05@mail.customer.example>' });
    const [row] = await sql()('select payload, message_id, status from outbox_message where id = ?', [r.json.outboxId]);
    const p = row!.payload;
    expect(p.to).toEqual(['Kari Nordmann <kari.nordmann@fjordvarme.example>']);
    expect(p.subject).toBe('Re: Kan ikke logge inn i produktportalen [SUP-000001]');
    expect(p.inReplyTo).toBe('<fixture-05@mail.customer.example>');
    expect(p.references).toContain('<fixture-01@mail.customer.example>');
    expect(p.references[p.references.length - 1]).toBe('<fixture-05@mail.customer.example>');
    expect(readThreadToken(p.messageId, SECRET)).toEqual({ ticketRef: 'SUP-000001' });
    expect(row!.message_id).toBe(p.messageId);
    expect(p.text).toContain('så bra at det fungerer nå');
    expect(p.text).toContain('Ada Support');
    expect(p.headers['Auto-Submitted']).toBeUndefined();
    const [rm] = await sql()(`select author, direction, outbox_id from record_message where message_id = ?`, [p.messageId]);
    expect(rm).toMatchObject({ author: 'Ada Support', direction: 'out', outbox_id: r.json.outboxId });
    const [log] = await sql()(`select e.direction, c.email from email_log e join contact c on c.id = e.contact_id where e.message_id = ?`, [p.messageId]);
    expect(log).toMatchObject({ direction: 'out', email: 'kari.nordmann@fjordvarme.example' });
    const [thread] = await sql()('select record_ref from thread_message_id where message_id = ?', [normaliseMessageId(p.messageId)]);
    expect(thread).toMatchObject({ record_ref: 'SUP-000001' });
    const shown = await cli('tickets', 'show', 'SUP-000001', '--json');
    expect(shown.json.timeline.at(-1)).toMatchObject({ direction: 'out', author: 'Ada Support', deliveryStatus: 'pending' });
  });

  it('reply refuses cleanly: unknown ticket, missing file, empty text', async () => {
    const file = path.join(dataDir, 'reply.txt');
    expectCleanFailure(await cli('tickets', 'reply', 'SUP-424242', '--file', file), /no ticket SUP-424242/);
    expectCleanFailure(await cli('tickets', 'reply', 'SUP-000001', '--file', path.join(dataDir, 'nope.txt')), /nope\.txt: no such file/);
    const empty = path.join(dataDir, 'empty.txt');
    writeFileSync(empty, '  \n');
    expectCleanFailure(await cli('tickets', 'reply', 'SUP-000001', '--file', empty), /empty/);
    expectCleanFailure(await cli('tickets', 'reply', 'SUP-000001'), /--file/);
  });

  it('close and reopen', async () => {
    const closed = await cli('tickets', 'close', 'SUP-000001', '--json');
    expect(closed.json).toEqual({ ref: 'SUP-000001', previousStatus: 'open', status: 'closed' });
    expect((await cli('tickets', 'list', '--json', '--status', 'closed')).json.map((t: any) => t.ref)).toEqual(['SUP-000001']);
    const again = await cli('tickets', 'close', 'SUP-000001');
    expect(again.stdout).toMatch(/already closed/);
    const reopened = await cli('tickets', 'reopen', 'SUP-000001');
    expect(reopened.stdout).toMatch(/SUP-000001 reopened \(was closed\)/);
    expectCleanFailure(await cli('tickets', 'close', 'SUP-999999'), /no ticket/);
  });
});

describe('leads, contacts, organisations', () => {
  it('leads list and show', async () => {
    const list = await cli('leads', 'list', '--json');
    const lead = list.json.find((l: any) => l.contact === 'liam@nordicbuild.example');
    expect(lead).toMatchObject({ source: 'dealer-page', status: 'new', organisation: 'Nordic Build Ltd', dealerNumber: '1042' });
    const show = await cli('leads', 'show', lead.ref, '--json');
    expect(show.json).toMatchObject({ ref: lead.ref, contactName: "Liam O'Brien" });
    expect(show.json.formData).toMatchObject({ dealerNumber: '1042' });
    expect(show.json.timeline[0]).toMatchObject({ direction: 'in' });
    expectCleanFailure(await cli('leads', 'show', 'LEAD-999999'), /no lead/);
  });

  it('contacts list and show (tickets, leads, email log)', async () => {
    const list = await cli('contacts', 'list', '--json');
    expect(list.json.find((c: any) => c.email === 'kari.nordmann@fjordvarme.example')).toMatchObject({ name: 'Kari Nordmann', organisation: 'Fjordvarme AS', tickets: 1 });
    const show = await cli('contacts', 'show', 'Kari.Nordmann@Fjordvarme.example', '--json');
    expect(show.code, show.stderr).toBe(0);
    expect(show.json.tickets).toEqual([expect.objectContaining({ ref: 'SUP-000001', role: 'requester' })]);
    expect(show.json.emailLog.map((e: any) => e.direction)).toEqual(['in', 'out', 'in', 'out']);
    const byId = await cli('contacts', 'show', show.json.id, '--json');
    expect(byId.json.email).toBe('kari.nordmann@fjordvarme.example');
    expectCleanFailure(await cli('contacts', 'show', 'nobody@nowhere.example'), /no contact/);
  });

  it('organisations list and show', async () => {
    const list = await cli('organisations', 'list', '--json');
    expect(list.json.find((o: any) => o.name === 'Fjordvarme AS')).toMatchObject({ kind: 'customer', domain: 'fjordvarme.example', contacts: 1, tickets: 1 });
    const show = await cli('organisations', 'show', 'fjordvarme.example', '--json');
    expect(show.json.contacts.map((c: any) => c.email)).toEqual(['kari.nordmann@fjordvarme.example']);
    expect(show.json.tickets.map((t: any) => t.ref)).toContain('SUP-000001');
    const dealer = await cli('organisations', 'show', '1042', '--json');
    expect(dealer.json).toMatchObject({ kind: 'dealer' });
    expect(dealer.json.leads[0]).toMatchObject({ viaDealer: true });
    expectCleanFailure(await cli('organisations', 'list', '--kind', 'alien'), /alien/);
  });
});

describe('triage', () => {
  it('list --json shows the open items', async () => {
    const r = await cli('triage', 'list', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.length).toBeGreaterThanOrEqual(4);
    for (const t of r.json) expect(t).toMatchObject({ state: 'open', id: expect.any(String), suggestedRoute: expect.any(String), reason: expect.any(String), inboundMessageId: expect.any(String) });
  });

  it('resolve --route support files the message as a ticket through the filer\'s steps; a second resolve is refused', async () => {
    const items = (await cli('triage', 'list', '--json')).json;
    const item = items.find((t: any) => t.subject === 'Spørsmål 1');
    expect(item).toBeTruthy();
    const outboxBefore = Number((await sql()('select count(*) as n from outbox_message'))[0]!.n);
    const r = await cli('triage', 'resolve', item.id, '--route', 'support', '--as', 'Ada Support', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ triageId: item.id, route: 'support', outcome: 'ticket', recordRef: expect.stringMatching(/^SUP-\d{6}$/) });
    const ticket = await cli('tickets', 'show', r.json.recordRef, '--json');
    expect(ticket.json).toMatchObject({ subject: 'Spørsmål 1', status: 'open' });
    expect(ticket.json.timeline[0]).toMatchObject({ direction: 'in', messageId: '<vague-1@nyttfirma.example>' });
    const [msg] = await sql()('select outcome, record_ref from inbound_message where id = ?', [item.inboundMessageId]);
    expect(msg).toMatchObject({ outcome: 'ticket', record_ref: r.json.recordRef });
    const [t] = await sql()('select state, resolution, resolved_by, record_ref from triage_item where id = ?', [item.id]);
    expect(t).toMatchObject({ state: 'resolved', resolution: 'support', resolved_by: 'Ada Support', record_ref: r.json.recordRef });
    // The requester hears back like any new ticket (same acknowledgement step as the filer).
    const outboxAfter = Number((await sql()('select count(*) as n from outbox_message'))[0]!.n);
    expect(outboxAfter - outboxBefore).toBe(r.json.acknowledged ? 1 : 0);
    expectCleanFailure(await cli('triage', 'resolve', item.id, '--route', 'sales'), /already resolved as support \(SUP-\d+\) by Ada Support/);
    const open = (await cli('triage', 'list', '--json')).json;
    expect(open.find((x: any) => x.id === item.id)).toBeUndefined();
    const all = (await cli('triage', 'list', '--json', '--state', 'all')).json;
    expect(all.find((x: any) => x.id === item.id)).toMatchObject({ state: 'resolved', recordRef: r.json.recordRef });
  });

  it('resolve --route spam dismisses; bad ids and routes fail cleanly', async () => {
    const items = (await cli('triage', 'list', '--json')).json;
    const r = await cli('triage', 'resolve', items[0].id, '--route', 'spam', '--json');
    expect(r.json).toMatchObject({ outcome: 'spam', recordRef: null });
    expectCleanFailure(await cli('triage', 'resolve', '987654', '--route', 'support'), /no triage item 987654/);
    expectCleanFailure(await cli('triage', 'resolve', items[1].id, '--route', 'marketing'), /marketing/);
    expectCleanFailure(await cli('triage', 'resolve', items[1].id), /--route/);
  });
});
