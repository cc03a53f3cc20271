/**
 * Issue 20, point 5 (monitoring): the alert rules and the Grafana dashboard name only metrics a
 * running daemon really exports, the rules pass `promtool check rules` and their unit tests
 * (`promtool test rules`), and the gauges added for them read the database: a quarantined
 * message and privacy cases near or past their due date show up in /metrics.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startDaemonProcess, daemonEnv, cleanupDaemonEnv, type DaemonProcess } from '../support/daemon-process.ts';
import { cleanupAll, sqlFor } from '../support/e2e-helpers.ts';
import { findExecutable } from '../support/dovecot.ts';
import { projectRoot } from '../support/cli-runner.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';

const RULES = path.join(projectRoot, 'deploy/prometheus/mailroom-alerts.yml');
const RULE_TESTS = path.join(projectRoot, 'deploy/prometheus/mailroom-alerts.test.yml');
const DASHBOARD = path.join(projectRoot, 'deploy/grafana/mailroom.json');
/** Prometheus's own series, which no exporter sends. */
const PROMETHEUS_SERIES = new Set(['up']);

let db: TestDatabase;
let env: Record<string, string>;
let daemon: DaemonProcess | undefined;
let exposition = '';

function run(file: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: projectRoot }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }));
  });
}

/** Metric names of the exposition; a histogram also answers to _bucket, _sum and _count. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(m[1]!);
    if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m[1]! + s);
  }
  return names;
}

/** Metric names in a PromQL expression (identifiers followed by a selector, a range or nothing PromQL-ish). */
function metricsIn(expr: string): string[] {
  const words = expr.replace(/"[^"]*"/g, '""').match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return [...new Set(words.filter((w) => w.startsWith('mailroom_') || PROMETHEUS_SERIES.has(w)))];
}

function value(name: string, labels = ''): number | undefined {
  const line = exposition.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line ? Number(line.split(' ').pop()) : undefined;
}

beforeAll(async () => {
  db = await createTestDatabase();
  const sql = sqlFor(db.orm);
  await sql(`insert into inbound_message (source, content_sha256, size, state, last_error) values ('import', 'abc', 10, 'quarantined', 'unreadable MIME'), ('import', 'def', 10, 'filed', null)`);
  await sql(
    `insert into privacy_case (ref, received_at, due_at, due_date, subject_email, closed_at) values
       ('PRV-000001', now() - interval '28 days', now() + interval '2 days', '2026-01-01', 'a@kunde.example', null),
       ('PRV-000002', now() - interval '31 days', now() - interval '1 day', '2026-01-01', 'b@kunde.example', null),
       ('PRV-000003', now() - interval '40 days', now() - interval '10 days', '2026-01-01', 'c@kunde.example', now()),
       ('PRV-000004', now(), now() + interval '30 days', '2026-01-01', 'd@kunde.example', null)`,
  );
  env = daemonEnv({ DATABASE_URL: db.url });
  daemon = await startDaemonProcess(env);
  exposition = await (await fetch(`http://127.0.0.1:${daemon.httpPort}/metrics`)).text();
  // This daemon watches no mailbox, so it leaves the mailbox gauges out; a daemon with one
  // exports them as the registry below defines them.
  const mailboxOnly = (await createMetrics({ mailbox: true }).registry.metrics()).split('\n').filter((l) => /^# TYPE mailroom_mailbox_/.test(l));
  exposition += '\n' + mailboxOnly.join('\n') + '\n';
}, 120_000);

afterAll(async () => {
  await cleanupAll(
    () => daemon?.stop(),
    () => db?.drop(),
    () => env && cleanupDaemonEnv(env),
  );
});

describe('metrics for the alerts', () => {
  it('the database gauges count the quarantine, the backlog and open privacy cases by due date (closed ones not)', () => {
    expect(value('mailroom_quarantine_messages')).toBe(1);
    expect(value('mailroom_inbound_backlog')).toBe(0);
    expect(value('mailroom_privacy_cases_open', '{due="overdue"}')).toBe(1);
    expect(value('mailroom_privacy_cases_open', '{due="3d"}')).toBe(1);
    expect(value('mailroom_privacy_cases_open', '{due="7d"}')).toBe(0);
    expect(value('mailroom_privacy_cases_open', '{due="later"}')).toBe(1);
    expect(exposition).toMatch(/^# TYPE mailroom_newsletter_failed_total counter$/m);
  });
});

describe('Prometheus alert rules', () => {
  const promtool = findExecutable('promtool');

  it('promtool is installed (Debian package prometheus; .ci/run installs it)', () => {
    expect(promtool, 'promtool missing: apt-get install -y prometheus').toBeTruthy();
  });

  it('pass `promtool check rules`', async () => {
    const r = await run(promtool!, ['check', 'rules', RULES]);
    expect(r.out).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.code, r.out).toBe(0);
  });

  it('pass their unit tests (`promtool test rules`): each alert fires on its series and stays silent on a healthy twin', async () => {
    const r = await run(promtool!, ['test', 'rules', RULE_TESTS]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/SUCCESS/);
    // Every alert is tested.
    const alerts = (parseYaml(readFileSync(RULES, 'utf8')).groups as { rules: { alert: string }[] }[]).flatMap((g) => g.rules.map((x) => x.alert));
    const tested = new Set((parseYaml(readFileSync(RULE_TESTS, 'utf8')).tests as { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[]).flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    expect(alerts.filter((a) => !tested.has(a))).toEqual([]);
    expect(alerts).toEqual(expect.arrayContaining(['MailroomMailboxStalled', 'MailroomOutboxBacklogGrowing', 'MailroomQuarantineGrowing', 'MailroomPrivacyCaseDueSoon', 'MailroomCampaignFailures', 'MailroomDown']));
  });

  it('name only metrics the daemon exports', () => {
    const exported = exportedNames(exposition);
    const rules = (parseYaml(readFileSync(RULES, 'utf8')).groups as { rules: { alert: string; expr: string }[] }[]).flatMap((g) => g.rules);
    for (const rule of rules) {
      const names = metricsIn(rule.expr);
      expect(names.length, rule.alert).toBeGreaterThan(0);
      for (const n of names) expect(PROMETHEUS_SERIES.has(n) || exported.has(n), `${rule.alert}: ${n}`).toBe(true);
    }
  });
});

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
  const panels = (dashboard.panels as any[]).flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));

  it('every panel query names a metric the daemon exports', () => {
    const exported = exportedNames(exposition);
    expect(panels.length).toBeGreaterThan(8);
    for (const p of panels) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) {
        const names = metricsIn(t.expr);
        expect(names.length, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
        for (const n of names) expect(exported.has(n), `${p.title}: ${n}`).toBe(true);
      }
    }
  });

  it("shows every one of Mailroom's own metrics (the process defaults aside)", () => {
    const shown = new Set(panels.flatMap((p) => p.targets.flatMap((t: { expr: string }) => metricsIn(t.expr))));
    const own = [...exportedNames(exposition)].filter((n) => !/^mailroom_(process|nodejs)_/.test(n) && !/_(sum|count)$/.test(n));
    const histogramBases = own.filter((n) => own.includes(`${n}_bucket`));
    expect(own.filter((n) => !shown.has(n) && !histogramBases.includes(n))).toEqual([]);
  });

  it('takes its data source as a variable, so it imports into any Grafana', () => {
    expect(dashboard.templating.list[0]).toMatchObject({ name: 'datasource', type: 'datasource', query: 'prometheus' });
    for (const p of panels) expect(p.datasource.uid).toBe('${datasource}');
  });
});
