/**
 * Issue 17.3: suppression hashes are keyed. A database from before migration 0014 holds the
 * newsletter's unkeyed hashes (plain SHA-256, recoverable by guessing). The upgraded daemon
 * migrates them, re-keys every one whose address it still knows, and keeps honouring the rest
 * (an erased address it no longer knows) until the address is seen again — so nobody
 * suppressed before the upgrade is imported back after it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, createHmac } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startDaemonProcess, daemonEnv, cleanupDaemonEnv, type DaemonProcess } from '../support/daemon-process.ts';
import { runCli } from '../support/cli-runner.ts';
import { cleanupAll, sqlFor } from '../support/e2e-helpers.ts';

const SECRET = 'upgrade-secret-0123456789abcdef';
const KNOWN = 'aud.vangen@vangen-regnskap.example'; // unsubscribed; still a subscriber row
const CASE_ONLY = 'petter.lund@lund-transport.example'; // erased; only the privacy case keeps the address
const UNKNOWN = 'frida.eng@eng-arkitekter.example'; // erased long ago; nothing on file
const legacy = (a: string) => createHash('sha256').update(`mailroom-suppression:${a}`).digest('hex');
const keyed = (a: string) => createHmac('sha256', SECRET).update(a).digest('hex');

let db: TestDatabase;
let env: Record<string, string>;
let daemon: DaemonProcess | undefined;
let dir: string;
const q = <T = Record<string, any>>(text: string, params: unknown[] = []) => sqlFor(db.orm)<T>(text, params);

beforeAll(async () => {
  db = await createTestDatabase();
  // The schema as the previous version left it, with its data.
  await db.orm.getMigrator().down({ to: 'Migration20261126000013_classification_correction' });
  await q(`insert into newsletter_list (slug, name_nb, name_en) values ('nyhetsbrev', 'Nyhetsbrev', 'Newsletter') on conflict do nothing`);
  await q(`insert into newsletter_subscriber (email, name, suppressed_reason, suppressed_at) values (?, 'Aud Vangen', 'unsubscribed', now())`, [KNOWN]);
  await q(`insert into newsletter_suppression (email_hash, reason) values (?, 'unsubscribed'), (?, 'erased'), (?, 'erased')`, [legacy(KNOWN), legacy(CASE_ONLY), legacy(UNKNOWN)]);
  await q(
    `insert into privacy_case (ref, received_at, due_at, due_date, state, language, subject_email, sender_on_file, identity) values ('PRV-000777', now(), now(), '2026-12-01', 'completed', 'nb', ?, true, 'verified')`,
    [CASE_ONLY],
  );
  dir = mkdtempSync(path.join(tmpdir(), 'mailroom-keyed-'));
  env = daemonEnv({ DATABASE_URL: db.url, MAILROOM_SECRET: SECRET });
  daemon = await startDaemonProcess(env);
}, 120_000);

afterAll(async () => {
  await cleanupAll(
    () => daemon?.stop(),
    () => db?.drop(),
    () => env && cleanupDaemonEnv(env),
    () => dir && rmSync(dir, { recursive: true, force: true }),
  );
});

describe('upgrading to keyed suppression hashes (migration 0014)', () => {
  it('one list: the newsletter list is merged into it and gone', async () => {
    expect(await q(`select 1 from information_schema.tables where table_name in ('newsletter_suppression', 'privacy_suppression')`)).toEqual([]);
  });

  it('addresses still on file are re-keyed at start-up; no guessable hash of them is left', async () => {
    const rows = await q<{ address_hash: string; kind: string; scheme: string }>(`select address_hash, kind, scheme from address_suppression order by kind, address_hash`);
    expect(rows).toEqual(
      expect.arrayContaining([
        { address_hash: keyed(KNOWN), kind: 'unsubscribe', scheme: 'hmac-sha256' },
        { address_hash: keyed(CASE_ONLY), kind: 'erasure', scheme: 'hmac-sha256' },
        { address_hash: legacy(UNKNOWN), kind: 'erasure', scheme: 'sha256-legacy' },
      ]),
    );
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r.address_hash)).not.toContain(legacy(KNOWN));
    expect(rows.map((r) => r.address_hash)).not.toContain(legacy(CASE_ONLY));
    expect((await q(`select suppressed_reason from newsletter_subscriber where email = ?`, [KNOWN]))[0]).toEqual({ suppressed_reason: 'unsubscribe' });
  });

  it('an import after the upgrade adds none of the three back, the unknown one included', async () => {
    const csv = path.join(dir, 'liste.csv');
    writeFileSync(csv, `email,name\n${KNOWN},Aud Vangen\n${CASE_ONLY},Petter Lund\n${UNKNOWN},Frida Eng\nny.kunde@vangen-regnskap.example,Ny Kunde\n`);
    const r = await runCli({ databaseUrl: db.url, dataDir: env.MAILROOM_DATA_DIR!, secret: SECRET }, 'subscribers', 'import', csv, '--list', 'nyhetsbrev', '--json');
    expect(r.code, r.stderr).toBe(0);
    const confirmed = await q<{ email: string }>(`select b.email from newsletter_subscription s join newsletter_subscriber b on b.id = s.subscriber_id where s.status = 'confirmed'`);
    expect(confirmed.map((c) => c.email)).toEqual(['ny.kunde@vangen-regnskap.example']);
  });
});
