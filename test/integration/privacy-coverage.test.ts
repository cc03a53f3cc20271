/**
 * Issue 6 "Done when": the access package holds a person seeded into every entity (found by
 * enumerating the ORM metadata and the database's tables, so an entity with personal data and
 * no coverage fails here), and after an approved erasure a scan of every text column of every
 * table finds the person only in records kept on a stated ground.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { sqlOf } from '../../src/db/sql.ts';
import { PERSONAL_COLUMN } from '../../src/privacy/coverage.ts';
import { privacyCoverage } from '../../src/app/privacy-setup.ts';
import { subjectKeys } from '../../src/privacy/subject.ts';
import { buildAccessPackage, renderPackageHtml } from '../../src/privacy/access-package.ts';
import { defaultPrivacyConfig } from '../../src/privacy/config.ts';
import { privacyActions } from '../../src/privacy/case-service.ts';
import { runRetention } from '../../src/privacy/jobs.ts';
import { addressHash } from '../../src/mail/address.ts';
import { ManualClock } from '../../src/scheduler/clock.ts';
import type { TaskRecord } from '../../src/tasks/task-types.ts';
import { MARIA, seedPersonEverywhere, testPrivacyDeps } from './privacy-support.ts';

let db: TestDatabase;
let missed: string[] = [];
const q = <T = Record<string, any>>(text: string, params: unknown[] = []) => sqlOf(db.orm.em.fork())<T>(text, params);
const clock = new ManualClock('2026-11-10T10:00:00Z');

beforeAll(async () => {
  db = await createTestDatabase();
  ({ missed } = await seedPersonEverywhere(db.orm));
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

describe('coverage registry against the entity metadata and the tables', () => {
  it('every entity with personal-looking columns has an access and erasure entry', () => {
    const byEntity = new Map(privacyCoverage().map((e) => [e.entity, e]));
    // Entries written before their table had an entity are named by the table; the name labels
    // a section of the access package, so renaming it would change what people receive.
    const byTable = new Map(privacyCoverage().map((e) => [e.table, e]));
    const uncovered: string[] = [];
    for (const meta of db.orm.getMetadata().getAll() ? Object.values(db.orm.getMetadata().getAll()) : []) {
      const cols = Object.values(meta.properties).flatMap((p) => [p.name, ...(p.fieldNames ?? [])]);
      const personal = cols.filter((c) => PERSONAL_COLUMN.test(c));
      const entry = byEntity.get(meta.className) ?? byTable.get(meta.tableName);
      if (personal.length && !entry) uncovered.push(`${meta.className} (${personal.join(', ')})`);
      if (entry && entry.personal && !entry.match) uncovered.push(`${meta.className}: personal but no access match`);
      if (entry && entry.personal && entry.erase.action !== 'keep' && !entry.erase.sql?.length) uncovered.push(`${meta.className}: personal but no erase statements`);
      if (entry && ['keep', 'retention', 'mixed'].includes(entry.erase.action) && !entry.erase.ground) uncovered.push(`${meta.className}: keeps data without a ground`);
    }
    expect(uncovered).toEqual([]);
  });

  it('every table with personal-looking columns (entities or not) has an entry', async () => {
    const cols = await q<{ table_name: string; column_name: string }>(
      `select table_name, column_name from information_schema.columns where table_schema = 'public' and table_name not like 'mikro_orm%'`,
    );
    const tables = new Set(privacyCoverage().map((e) => e.table));
    const missing = [...new Set(cols.filter((c) => PERSONAL_COLUMN.test(c.column_name) && !tables.has(c.table_name)).map((c) => c.table_name))];
    expect(missing).toEqual([]);
  });
});

describe('access package for a person in every system', () => {
  it('holds a section for every personal entity the person was seeded into, with third parties redacted', async () => {
    expect(missed).toEqual([]);
    const em = db.orm.em.fork();
    const keys = await subjectKeys(em, MARIA.email);
    const pkg = await buildAccessPackage(em, { keys, config: defaultPrivacyConfig, language: 'en', now: clock.now(), coverage: privacyCoverage() });
    const have = new Set(pkg.sections.map((s) => s.entity));
    const expected = privacyCoverage().filter((e) => e.personal && e.match && !e.table.startsWith('privacy_') && e.table !== 'newsletter_suppression');
    const absent = expected.filter((e) => !have.has(e.entity)).map((e) => e.entity);
    expect(absent).toEqual([]);
    const json = JSON.stringify(pkg);
    expect(json).toContain(MARIA.name);
    expect(json).toContain('Storgatan 1, Malmö');
    expect(json).not.toContain('KARI-SECRET-TEXT');
    expect(json).not.toContain('kari.other@kundeab.example');
    expect(pkg.informationSheet.complaint).toContain('Datatilsynet');
    expect(pkg.informationSheet.retention.map((r) => r.system)).toEqual(expect.arrayContaining(['orders', 'support', 'crm']));
    const html = renderPackageHtml(pkg);
    expect(html).toContain('Datatilsynet');
    expect(html).toContain('Malmö hotell');
  });
});

describe('approved erasure', () => {
  it('leaves the person only in records kept on a stated ground', async () => {
    const deps = testPrivacyDeps({}, clock);
    // A verified erasure case for Maria, approved by a named member of staff.
    const [c] = await q<{ id: string }>(
      `insert into privacy_case (ref, received_at, due_at, due_date, state, language, subject_email, sender_on_file, identity) values ('PRV-000900', now(), now() + interval '30 days', '2026-12-10', 'in_progress', 'en', ?, true, 'verified') returning id`,
      [MARIA.email],
    );
    const [r] = await q<{ id: string }>(`insert into privacy_right (case_id, "right", state) values (?, 'erasure', 'pending_approval') returning id`, [c!.id]);
    const task = { publicId: 'T-000900', actionPayload: { caseId: c!.id, rightId: r!.id }, reason: null } as unknown as TaskRecord;
    await db.orm.em.fork().transactional((em) => privacyActions(deps).erasure(em, task, { kind: 'cli', id: 'ola', name: 'Ola Staff' }));

    // Scan every text-like column of every table.
    const cols = await q<{ table_name: string; column_name: string; data_type: string }>(
      `select table_name, column_name, data_type from information_schema.columns
        where table_schema = 'public' and table_name not like 'mikro_orm%' and data_type in ('text', 'character varying', 'jsonb', 'json', 'ARRAY')`,
    );
    const hits = new Map<string, number>();
    for (const col of cols) {
      const [row] = await q<{ n: number }>(
        `select count(*)::int as n from "${col.table_name}" where lower("${col.column_name}"::text) like any(?::text[])`,
        [`{%${MARIA.email}%,%${MARIA.name.toLowerCase()}%}`],
      );
      if (row!.n) hits.set(`${col.table_name}.${col.column_name}`, row!.n);
    }
    const entries = new Map(privacyCoverage().map((e) => [e.table, e]));
    const unjustified = [...hits.keys()].filter((k) => {
      const e = entries.get(k.split('.')[0]!);
      return !e || !['keep', 'retention', 'mixed'].includes(e.erase.action) || !e.erase.ground;
    });
    expect(unjustified, JSON.stringify(Object.fromEntries(hits))).toEqual([]);

    // What the plan promised, concretely.
    const [contact] = await q(`select email, name, phone, roles from contact where email like 'erased-%'`);
    expect(contact).toMatchObject({ name: null, phone: null, roles: [] }); // anonymised: kept tickets point at it
    expect(await q(`select * from lead where ref = 'LEAD-000900'`)).toHaveLength(0);
    expect((await q(`select order_number from customer_order order by 1`)).map((o) => o.order_number)).toEqual(['ORD-NEW-1']);
    expect(await q(`select * from portal_user`)).toHaveLength(0);
    expect(await q(`select * from project_participant`)).toHaveLength(0);
    expect(await q(`select * from ticket where ref = 'SUP-000900'`)).toHaveLength(1);
    expect(await q(`select * from record_message where record_ref = 'SUP-000900'`)).toHaveLength(2);
    expect(await q(`select * from newsletter_subscriber`)).toHaveLength(0);
    expect(await q(`select * from newsletter_event`)).toHaveLength(0);
    expect(await q(`select * from address_suppression where address_hash = ? and kind = 'erasure' and scheme = 'hmac-sha256'`, [addressHash(MARIA.email, deps.secret)])).toHaveLength(1);
    // The confirmation says what was deleted, what was kept and why; it goes to the address on file only.
    const mails = await q<{ payload: { to: string[]; text: string } }>(`select payload from outbox_message where payload->'headers'->>'X-Mailroom-Id' = 'PRV-000900'`);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.payload.to).toEqual([MARIA.email]);
    expect(mails[0]!.payload.text).toMatch(/Kept, and why:[\s\S]*bokføringsloven § 13/);
    expect(mails[0]!.payload.text).toMatch(/until 31 December 2030/);
    const audit = await q(`select actor_kind, actor_name, action from privacy_audit where case_id = ? order by id`, [c!.id]);
    expect(audit.map((a) => `${a.actor_kind}:${a.action}`)).toEqual(expect.arrayContaining(['cli:approved', 'system:erased']));
    await expect(q(`delete from privacy_audit`)).rejects.toThrow(/append-only/);
  });

  it('the retention job deletes orders past five years after their financial year end, by itself', async () => {
    await q(`insert into customer_order (order_number, order_date, buyer_name) values ('R-2020-12', '2020-12-31', 'X'), ('R-2021-01', '2021-01-01', 'Y')`);
    const deps = testPrivacyDeps({}, clock);
    const r1 = await db.orm.em.fork().transactional((em) => runRetention(em, new Date('2026-01-01T10:00:00Z'), deps));
    expect(r1.deleted).toBe(1); // 2020 ended 31 Dec 2020; kept to 31 Dec 2025
    const left = (await q(`select order_number from customer_order order by 1`)).map((o) => o.order_number);
    expect(left).toContain('R-2021-01');
    expect(left).not.toContain('R-2020-12');
  });
});
