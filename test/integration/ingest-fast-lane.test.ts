/**
 * The processor's fast lane: mail IDLE just announced (IngestProcessor.expedite) is claimed
 * before a backlog stored ahead of it, and a reply expedited ahead of its stored original still
 * waits for it and joins its thread.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { importRaw, testFilingDeps, testParser } from '../support/filing-harness.ts';
import { supportMail } from '../support/generated-mail.ts';
import { until } from '../support/outbox-helpers.ts';
import { IngestProcessor, type Filer } from '../../src/ingest/ingest-processor.ts';
import { createFiler } from '../../src/handlers/file-message.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { sqlOf } from '../../src/db/sql.ts';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

describe('ingest fast lane', () => {
  it('files expedited mail before the backlog, and a reply still after its original', async () => {
    const backlog: string[] = [];
    for (let i = 0; i < 60; i++) backlog.push(await importRaw(db.orm, supportMail(i, { tag: 'etterslep', domainCount: 1000 })));
    const urgent = await importRaw(db.orm, supportMail(100, { tag: 'ny', domainCount: 1000 }));
    // A reply to a backlog message, announced as new: it must not overtake its original.
    const reply = await importRaw(
      db.orm,
      [
        'From: Kunde 40 <kunde40@kunde40.example>',
        'To: post@infracomfort.example',
        'Subject: SV: Feil på varmepumpe etterslep 40',
        'Message-ID: <svar-40@kunde40.example>',
        'In-Reply-To: <etterslep-40@kunde40.example>',
        'References: <etterslep-40@kunde40.example>',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Feilen er der fortsatt, nå i begge byggene.',
        '',
      ].join('\r\n'),
    );
    const deps = testFilingDeps();
    const real = createFiler(deps);
    const order: string[] = [];
    const file: Filer = async (em, m) => {
      order.push(m.id);
      return real(em, m);
    };
    const processor = new IngestProcessor({ orm: db.orm, log: silentLogger, parser: testParser(), file, maxAttempts: 3, ownDomains: deps.ownDomains, messageIdDomain: deps.messageIdDomain, pollIntervalMs: 50, lanes: 1, batchSize: 8 });
    processor.expedite([urgent, reply]);
    processor.start();
    const sql = sqlOf(db.orm.em.fork());
    try {
      await until(async () => (await sql(`select 1 from inbound_message where state <> 'filed'`)).length === 0, { tries: 200, everyMs: 50 });
    } finally {
      await processor.stop();
    }
    expect(order[0]).toBe(urgent);
    // Each message filed exactly once (the reply's first try rolled back, so it appears twice in `order`).
    const filed = await sql<{ id: string; message_id: string; record_ref: string; outcome: string }>(`select id, message_id, record_ref, outcome from inbound_message order by id`);
    expect(filed).toHaveLength(62);
    const original = filed.find((r) => r.message_id === 'etterslep-40@kunde40.example' || r.message_id === '<etterslep-40@kunde40.example>')!;
    const answer = filed.find((r) => r.id === reply)!;
    expect(answer.record_ref).toBe(original.record_ref);
    expect(order.lastIndexOf(reply)).toBeGreaterThan(order.indexOf(original.id));
    expect(new Set(filed.map((r) => r.record_ref)).size).toBe(61);
    expect(backlog).toContain(original.id);
  });
});
