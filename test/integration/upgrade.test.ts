/**
 * Issue 20, point 7: upgrading a running installation. Version N (the shipped code) runs and
 * files mail; two instances of version N+1 (the same code plus one additive test-only migration,
 * test/support/next-version-daemon.js) start at the same moment on the same database and
 * mailbox. Proved through the real daemons, Dovecot and the SMTP peer:
 *   - the migration is applied exactly once, under the lock, by one of the two;
 *   - version N keeps filing on the newer schema, and a version-N process started after the
 *     upgrade (a restart on an old host) runs too, warning that the schema is newer;
 *   - every message is filed once and acknowledged once across the versions.
 * The choice (README, "Upgrades"): migrations are additive, so an older version tolerates a
 * newer schema rather than refusing it; a removal ships a release after nothing uses it.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startDovecot, type DovecotInstance } from '../support/dovecot.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { supportMail, waitForFiled } from '../support/support-mail.ts';
import { startDaemonProcess, daemonEnv, cleanupDaemonEnv, type DaemonProcess } from '../support/daemon-process.ts';
import { cleanupAll, countOf, sleep, sqlFor } from '../support/e2e-helpers.ts';
import { NEXT_VERSION_MIGRATION } from '../support/next-version-migration.ts';
import { projectRoot } from '../support/cli-runner.ts';

const NEXT = path.join(projectRoot, 'test/support/next-version-daemon.js');
const USER = 'post@infracomfort.example';

let db: TestDatabase;
let dovecot: DovecotInstance;
let peer: SmtpPeer;
const envs: Record<string, string>[] = [];
const daemons: DaemonProcess[] = [];

const MAILS = [
  supportMail({ messageId: 'upgrade-1@kunde.example', from: 'Ola Berg <ola@bergbygg.example>', subject: 'Ventilasjonen lager ulyd', body: 'Hei,\nventilasjonsanlegget i kontorbygget vårt har begynt å ule om morgenen. Kan dere sende noen?\nHilsen Ola' }),
  supportMail({ messageId: 'upgrade-2@kunde.example', from: 'Mia Lunde <mia@lundeeiendom.example>', subject: 'Termostaten svarer ikke', body: 'Hei,\ntermostaten i tredje etasje viser feil og reagerer ikke på knappene.\nMvh Mia' }),
  supportMail({ messageId: 'upgrade-3@kunde.example', from: 'Per Aas <per@aasverksted.example>', subject: 'Lekkasje ved varmepumpa', body: 'Hei,\ndet drypper vann fra innedelen på verkstedet siden i går.\nPer' }),
  supportMail({ messageId: 'upgrade-4@kunde.example', from: 'Sara Holm <sara@holmkontor.example>', subject: 'Filterbytte', body: 'Hei,\nnår skal filtrene i anlegget vårt byttes neste gang? Vi vil gjerne ha en avtale.\nSara' }),
];

function env(): Record<string, string> {
  const e = daemonEnv({ DATABASE_URL: db.url, SMTP_URL: peer.url, ...dovecot.env(USER) });
  envs.push(e);
  return e;
}

async function start(version: 'N' | 'N+1'): Promise<DaemonProcess> {
  // Generous: two instances start together, one waits for the other's migration.
  const d = await startDaemonProcess(env(), { readyTimeoutMs: 120_000, ...(version === 'N+1' ? { script: NEXT } : {}) });
  daemons.push(d);
  return d;
}

const filed = (n: number) => waitForFiled(db.orm, n, () => daemons.map((d) => d.output()).join('\n'));

beforeAll(async () => {
  db = await createTestDatabase(); // version N's schema
  [dovecot, peer] = await Promise.all([startDovecot(), startSmtpPeer()]);
}, 120_000);

afterAll(async () => {
  await cleanupAll(
    ...daemons.map((d) => () => d.stop()),
    () => peer?.stop(),
    () => dovecot?.stop(),
    () => db?.drop(),
    ...envs.map((e) => () => cleanupDaemonEnv(e)),
  );
});

describe('version N and N+1 side by side', () => {
  let versionN: DaemonProcess;

  it('version N files mail', async () => {
    versionN = await start('N');
    await dovecot.append(USER, 'INBOX', MAILS[0]!);
    await filed(1);
    await peer.waitFor(1, 30_000);
  });

  it('two N+1 instances starting at once apply the new migration exactly once, while N runs on', async () => {
    const [a, b] = await Promise.all([start('N+1'), start('N+1')]);
    const applied = await sqlFor(db.orm)<{ name: string }>(`select name from mikro_orm_migrations where name = ?`, [NEXT_VERSION_MIGRATION]);
    expect(applied).toHaveLength(1);
    const probes = await sqlFor(db.orm)<{ applied_by: string }>(`select applied_by from upgrade_probe`);
    expect(probes).toHaveLength(1);
    expect(probes[0]!.applied_by).toMatch(/^mailroom:/);
    const [column] = await sqlFor(db.orm)(`select data_type from information_schema.columns where table_name = 'ticket' and column_name = 'satisfaction_score'`);
    expect(column).toMatchObject({ data_type: 'smallint' });
    // Both N+1 instances are up and N was never stopped.
    for (const d of [a!, b!, versionN]) expect((await fetch(`http://127.0.0.1:${d.httpPort}/healthz`)).ok).toBe(true);
    expect(versionN.child.exitCode).toBeNull();

    // Mail arriving during the rolling upgrade is filed once, by whichever instance claims it.
    await dovecot.append(USER, 'INBOX', MAILS[1]!);
    await filed(2);
    await peer.waitFor(2, 30_000);
  });

  it('with the N+1 instances stopped, version N keeps filing on the newer schema', async () => {
    const [, a, b] = daemons;
    await Promise.all([a!.stop(), b!.stop()]);
    expect(a!.child.exitCode).toBe(0);
    expect(b!.child.exitCode).toBe(0);
    await dovecot.append(USER, 'INBOX', MAILS[2]!);
    await filed(3);
    await peer.waitFor(3, 30_000);
    expect(versionN.child.exitCode).toBeNull();
  });

  it('a version-N process started after the upgrade (an old host restarting) runs, naming the newer migration in a warning', async () => {
    await versionN.stop();
    expect(versionN.child.exitCode).toBe(0);
    const restarted = await start('N');
    await dovecot.append(USER, 'INBOX', MAILS[3]!);
    await filed(4);
    await peer.waitFor(4, 30_000);
    expect(restarted.output()).toContain('the database schema is newer than this version');
    expect(restarted.output()).toContain(NEXT_VERSION_MIGRATION);
  });

  it('across both versions every message was filed once and acknowledged once', async () => {
    await sleep(1500); // a second acknowledgement would arrive in this window
    const rows = await sqlFor(db.orm)<{ message_id: string; record_ref: string }>(`select message_id, record_ref from inbound_message order by id`);
    expect(rows.map((r) => r.message_id)).toEqual([1, 2, 3, 4].map((n) => `<upgrade-${n}@kunde.example>`));
    expect(new Set(rows.map((r) => r.record_ref)).size).toBe(4);
    const counts = peer.countByMessageId();
    expect(peer.messages).toHaveLength(4);
    for (const [, n] of counts) expect(n).toBe(1);
    expect(await countOf(db.orm, `select count(*) from mikro_orm_migrations where name = ?`, [NEXT_VERSION_MIGRATION])).toBe(1);
  });
});
