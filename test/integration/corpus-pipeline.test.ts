/**
 * All 632 files of sisimai's set-of-emails (test/fixtures/sisimai/maildir: bsd/ = bounces,
 * RFC 3834 auto-replies and ARF feedback reports; not/ = not bounces) through the REAL
 * pipeline: storeRaw → IngestProcessor (parse, automated-mail recognition, the real filer)
 * → outbox → dispatcher → SMTP peer. Nothing crashes, nothing is quarantined unexpectedly,
 * no bsd/ file opens a record, and none is ever answered.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { SmtpDeliverer } from '../../src/outbox/transports/smtp-transport.ts';
import { makeDispatcher } from '../support/outbox-helpers.ts';
import { importRaw, makeProcessor } from '../support/filing-harness.ts';
import { cleanupAll, countOf, parseReceived, sleep, sqlFor, waitUntil } from '../support/e2e-helpers.ts';
import { supportMail } from '../support/generated-mail.ts';
import { normaliseMessageId } from '../../src/threading/resolve-thread.ts';
import type { IngestProcessor } from '../../src/ingest/ingest-processor.ts';
import type { OutboxDispatcher } from '../../src/outbox/dispatcher.ts';

const ROOT = new URL('../fixtures/sisimai/maildir/', import.meta.url);
/** Bounces whose text decodes to U+0000, which PostgreSQL refuses in jsonb and text (toStoredParse replaces it). */
const NUL_TEXT_QUARANTINE = new Set(['bsd/lhost-office365-01.eml', 'bsd/lhost-x2-04.eml', 'bsd/rfc3464-66.eml']);
/**
 * Bounces that automated-mail recognition misses (within the issue's 2 % allowance): Verizon
 * (vtext) notices from `post_master@…` with "Error: Invalid user address" and a "Message
 * details: … RCPT TO:" block. They are not answered (route uncertain → triage), but staff see them.
 */
const KNOWN_UNRECOGNISED = new Set(['lhost-apachejames-01.eml', 'lhost-verizon-02.eml']);

interface Row {
  id: string;
  file: string;
  bucket: 'bsd' | 'not';
  state: string;
  outcome: string | null;
  record_ref: string | null;
  message_id: string | null;
  from_address: string | null;
  automated_kind: string | null;
  last_error: string | null;
}

let db: TestDatabase;
let peer: SmtpPeer;
let smtp: SmtpDeliverer;
let processor: IngestProcessor;
let dispatcher: OutboxDispatcher;
const files: { file: string; bucket: 'bsd' | 'not'; raw: Buffer }[] = [];
let rows: Row[] = [];
let timing = '';
let controlId = '';

beforeAll(async () => {
  for (const bucket of ['bsd', 'not'] as const) {
    for (const file of readdirSync(new URL(`${bucket}/`, ROOT)).sort()) files.push({ file, bucket, raw: readFileSync(new URL(`${bucket}/${file}`, ROOT)) });
  }
  db = await createTestDatabase();
  peer = await startSmtpPeer();
  smtp = new SmtpDeliverer(peer.url, { poolSize: 2 });
  processor = makeProcessor(db.orm);
  dispatcher = makeDispatcher(db.orm, { deliverers: { email: smtp }, workerId: 'mailroom-test:corpus' });

  const t0 = Date.now();
  const byId = new Map<string, { file: string; bucket: 'bsd' | 'not' }>();
  for (const f of files) byId.set(await importRaw(db.orm, f.raw), { file: f.file, bucket: f.bucket });
  // Positive control: one ordinary customer mail, which must be answered, so "nothing answered" means something.
  controlId = await importRaw(db.orm, supportMail(1, { tag: 'corpus-control' }));
  const t1 = Date.now();
  // Failures back off (1 s, 2 s, …) before the next attempt; maxAttempts is 3 in the harness.
  await waitUntil(
    'every corpus message filed, quarantined or recognised as a duplicate',
    async () => {
      await processor.runOnce();
      return (await countOf(db.orm, `select count(*) from inbound_message where state in ('stored', 'parsed')`)) === 0;
    },
    { timeoutMs: 90_000, everyMs: 200, describe: async () => JSON.stringify(await sqlFor(db.orm)(`select id, state, attempts, last_error from inbound_message where state in ('stored', 'parsed') limit 5`)) },
  );
  const t2 = Date.now();
  await waitUntil(
    'the outbox drained',
    async () => {
      await dispatcher.runOnce();
      return (await countOf(db.orm, `select count(*) from outbox_message where status in ('pending', 'sending')`)) === 0;
    },
    { timeoutMs: 30_000, everyMs: 100 },
  );
  await sleep(200);
  timing = `stored ${files.length} in ${((t1 - t0) / 1000).toFixed(1)} s, filed in ${((t2 - t1) / 1000).toFixed(1)} s, outbox drained in ${((Date.now() - t2) / 1000).toFixed(1)} s`;
  const list = await sqlFor(db.orm)<Omit<Row, 'file' | 'bucket'>>(
    'select id, state, outcome, record_ref, message_id, from_address, automated_kind, last_error from inbound_message order by id',
  );
  rows = list.filter((r) => byId.has(String(r.id))).map((r) => ({ ...r, id: String(r.id), ...byId.get(String(r.id))! }));
}, 180_000);

afterAll(async () => {
  await cleanupAll(() => processor?.stop(), () => dispatcher?.stop(), () => smtp?.close(), () => peer?.stop(), () => db?.drop());
});

const RECORD_OUTCOMES = ['ticket', 'lead', 'ticket-reply', 'lead-reply'];

describe(`sisimai corpus (${632} files) through the real pipeline`, () => {
  it('every file is stored and reaches an end state: no crash, nothing left behind', () => {
    expect(files).toHaveLength(632);
    expect(rows).toHaveLength(files.length);
    const stuck = rows.filter((r) => !['filed', 'quarantined', 'duplicate'].includes(r.state));
    expect(stuck.map((r) => `${r.bucket}/${r.file}: ${r.state} ${r.last_error ?? ''}`)).toEqual([]);
    const counts = (bucket: string) => {
      const c: Record<string, number> = {};
      for (const r of rows.filter((x) => x.bucket === bucket)) c[r.outcome ?? r.state] = (c[r.outcome ?? r.state] ?? 0) + 1;
      return JSON.stringify(Object.fromEntries(Object.entries(c).sort()));
    };
    console.log(`[corpus-pipeline] ${timing}\n  bsd/ outcomes: ${counts('bsd')}\n  not/ outcomes: ${counts('not')}\n  emails at the SMTP peer: ${peer.messages.length}`);
  });

  it('nothing is quarantined unexpectedly (any quarantine is reported with its reason)', () => {
    const quarantined = rows.filter((r) => r.state === 'quarantined');
    if (quarantined.length) console.log(`[corpus-pipeline] quarantined:\n  ${quarantined.map((r) => `${r.bucket}/${r.file}: ${r.last_error?.replace(/\s+/g, ' ').slice(-80)}`).join('\n  ')}`);
    expect(quarantined.map((r) => `${r.bucket}/${r.file}: ${r.last_error}`)).toEqual([]);
  });

  it('bounces whose text decodes to a NUL character are filed as bounces, not quarantined', () => {
    const nul = rows.filter((r) => NUL_TEXT_QUARANTINE.has(`${r.bucket}/${r.file}`));
    expect(nul.map((r) => `${r.file}: ${r.state}/${r.outcome}`)).toEqual(nul.map((r) => `${r.file}: filed/bounce`));
  });

  // Same bug, for a person's mail: a NUL in the body must not cost a customer their ticket.
  it('a human message with a NUL character in its body is filed as a ticket, not quarantined', async () => {
    const raw = [
      'From: Nils Null <nils.null@nulltegn.example>',
      'To: post@infracomfort.example',
      'Subject: Varmepumpen virker ikke',
      'Message-ID: <nul-body-1@nulltegn.example>',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Hei,',
      '',
      'Varmepumpen virker ikke etter oppdateringen og viser feilkode E7.=00 Kan dere se p=C3=A5 feilen?',
      '',
      'Mvh Nils',
      '',
    ].join('\r\n');
    const id = await importRaw(db.orm, raw);
    await waitUntil('the NUL mail to reach an end state', async () => {
      await processor.runOnce();
      const [r] = await sqlFor(db.orm)<{ state: string }>('select state from inbound_message where id = ?', [id]);
      return ['filed', 'quarantined'].includes(r!.state);
    }, { timeoutMs: 20_000, everyMs: 200 });
    const [r] = await sqlFor(db.orm)<{ state: string; outcome: string; last_error: string | null }>('select state, outcome, last_error from inbound_message where id = ?', [id]);
    console.log(`[corpus-pipeline] NUL-body mail: ${r!.state}/${r!.outcome}: ${r!.last_error?.replace(/\s+/g, ' ').slice(-90) ?? ''}`);
    expect(r).toMatchObject({ state: 'filed', outcome: 'ticket' });
  });

  it('no bsd/ file opens or joins a ticket or lead', async () => {
    const bsd = rows.filter((r) => r.bucket === 'bsd');
    const filedAsRecord = bsd.filter((r) => RECORD_OUTCOMES.includes(r.outcome ?? ''));
    expect(filedAsRecord.map((r) => `${r.file}: ${r.outcome} ${r.record_ref ?? ''}`)).toEqual([]);
    const onRecords = await sqlFor(db.orm)<{ inbound_message_id: string }>(
      `select inbound_message_id from record_message where inbound_message_id = any(?::bigint[])`,
      [`{${bsd.map((r) => r.id).join(',')}}`],
    );
    expect(onRecords).toEqual([]);
  });

  it('every bsd/ file is recognised as automated mail, apart from the known misses (which only reach triage)', () => {
    const bsd = rows.filter((r) => r.bucket === 'bsd' && r.state === 'filed');
    const human = bsd.filter((r) => r.automated_kind === 'human' || !r.automated_kind);
    if (human.length) console.log(`[corpus-pipeline] bsd/ files taken for human mail: ${human.map((r) => `${r.file} → ${r.outcome}`).join(', ')}`);
    expect(human.filter((r) => !KNOWN_UNRECOGNISED.has(r.file)).map((r) => `${r.file} → ${r.outcome}`)).toEqual([]);
    expect(human.filter((r) => r.outcome !== 'triage').map((r) => `${r.file} → ${r.outcome}`)).toEqual([]);
  });

  it('the control message (an ordinary customer mail) is filed as a ticket and acknowledged: the pipeline does answer people', async () => {
    const [c] = await sqlFor(db.orm)<{ state: string; outcome: string }>('select state, outcome from inbound_message where id = ?', [controlId]);
    expect(c).toMatchObject({ state: 'filed', outcome: 'ticket' });
    expect(peer.messages.map((m) => m.envelope.to.join(','))).toContain('kunde1@kunde1.example');
  });

  it('ZERO emails answer a bsd/ file (no bounce, auto-reply or feedback report is ever answered)', async () => {
    const bsd = rows.filter((r) => r.bucket === 'bsd');
    const bsdIds = new Set(bsd.map((r) => r.id));
    // In the database: acknowledgements and every outbox row of a record a bsd/ message is on.
    const answered = await sqlFor(db.orm)<{ inbound_message_id: string; outbox_id: string }>(
      `select rm.inbound_message_id, o.id as outbox_id from outbox_message o
         join acknowledgement a on a.outbox_id = o.id
         join record_message rm on rm.record_ref = a.record_ref and rm.direction = 'in'`,
    );
    expect(answered.filter((a) => bsdIds.has(String(a.inbound_message_id)))).toEqual([]);
    // At the SMTP peer: nothing In-Reply-To/References a bsd/ message, nothing to a bsd/ sender
    // (unless a not/ file has the same sender and was answered for itself).
    const notRows = rows.filter((r) => r.bucket === 'not');
    const notIds = new Set(notRows.map((r) => r.message_id && normaliseMessageId(r.message_id)).filter(Boolean));
    const bsdMessageIds = new Set(bsd.map((r) => r.message_id && normaliseMessageId(r.message_id)).filter((id): id is string => !!id && !notIds.has(id)));
    const notSenders = new Set(notRows.map((r) => r.from_address));
    const bsdSenders = new Set(bsd.map((r) => r.from_address).filter((a): a is string => !!a && !notSenders.has(a)));
    const offenders: string[] = [];
    for (const m of peer.messages) {
      const p = await parseReceived(m);
      const refs = [p.inReplyTo ?? '', ...[p.parsed.references ?? []].flat()].filter(Boolean).map(normaliseMessageId);
      if (refs.some((r) => bsdMessageIds.has(r))) offenders.push(`${p.subject} in reply to ${refs.join(' ')}`);
      if (m.envelope.to.some((t) => bsdSenders.has(t.toLowerCase()))) offenders.push(`${p.subject} to ${m.envelope.to.join(', ')}`);
    }
    expect(offenders).toEqual([]);
  });

  it('not/ files are never taken for bounces', () => {
    const not = rows.filter((r) => r.bucket === 'not');
    expect(not).toHaveLength(3);
    expect(not.filter((r) => r.outcome === 'bounce').map((r) => r.file)).toEqual([]);
  });
});
