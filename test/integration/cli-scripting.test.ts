/**
 * The operator's surface is safe to script: configuration that cannot work is refused by
 * `config check` and `start` with the key named, bad numbers are refused, help describes every
 * command, JSON times are ISO, and the shipped `mailroom` runs compiled JavaScript. All through
 * the real bin/mailroom.js (and the daemon where it is involved).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, expectCleanFailure, projectRoot, type CliEnv, type CliResult } from '../support/cli-runner.ts';
import { getFreePort } from '../support/free-port.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { seedFixtureCompany } from '../support/filing-harness.ts';
import { daemonEnv, cleanupDaemonEnv, startDaemonProcess } from '../support/daemon-process.ts';

let db: TestDatabase;
let dataDir: string;
let importOutput: CliResult;
const env = (extra: Record<string, string> = {}, cwd?: string): CliEnv => ({ databaseUrl: db.url, dataDir, extra, cwd });
const cli = (...args: string[]) => runCli(env(), ...args);
const withEnv = (extra: Record<string, string>, ...args: string[]) => runCli(env(extra), ...args);

/**
 * `mailroom start` that must refuse to start: should it start anyway (the defect), it is
 * stopped after a while instead of running on.
 */
async function startRefused(extra: Record<string, string>): Promise<CliResult> {
  const p = startCli(env({ ...extra, HTTP_HOST: '127.0.0.1', HTTP_PORT: String(await getFreePort()) }), 'start');
  const guard = setTimeout(() => p.child.kill('SIGKILL'), 60_000);
  try {
    return await p.result;
  } finally {
    clearTimeout(guard);
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  await seedFixtureCompany(db.orm);
  dataDir = mkdtempSync(path.join(tmpdir(), 'mailroom-cli-scripting-'));
  // No daemon runs here: the acknowledgements this import queues wait in the outbox.
  importOutput = await cli('import', path.join(projectRoot, 'test/fixtures/mail'));
  expect(importOutput.code, importOutput.stderr).toBe(0);
});
afterAll(async () => {
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('configuration (point 2 and 3)', () => {
  it('a MAILROOM_CONFIG that names a missing file is an error naming it, for config check and start; only the default may be absent', { timeout: 600_000 }, async () => {
    const missing = path.join(dataDir, 'badconf', 'nope.yaml');
    expectCleanFailure(await withEnv({ MAILROOM_CONFIG: missing }, 'config', 'check'), new RegExp(`MAILROOM_CONFIG.*${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), { oneLine: true });
    expectCleanFailure(await startRefused({ MAILROOM_CONFIG: missing }), /MAILROOM_CONFIG.*nope\.yaml/, { oneLine: true });

    const elsewhere = mkdtempSync(path.join(tmpdir(), 'mailroom-no-config-'));
    try {
      const r = await runCli(env({ MAILROOM_CONFIG: '' }, elsewhere), 'config', 'check');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/config ok: \.\/config\/mailroom\.yaml/);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('half-configured mail is refused, naming the missing key: a mailbox without a login, SMTP without MAIL_FROM', { timeout: 600_000 }, async () => {
    const cases: [Record<string, string>, string | null][] = [
      [{ IMAP_HOST: 'imap.fjordpost.example' }, 'IMAP_USER'],
      [{ IMAP_HOST: 'imap.fjordpost.example', IMAP_USER: 'post' }, 'IMAP_PASSWORD'],
      [{ IMAP_HOST: 'imap.fjordpost.example', IMAP_USER: 'post', IMAP_OAUTH_TOKEN_URL: 'https://login.fjordpost.example/token' }, 'IMAP_OAUTH_CLIENT_ID'],
      [{ IMAP_HOST: 'imap.fjordpost.example', IMAP_USER: 'post', IMAP_OAUTH_TOKEN_URL: 'https://login.fjordpost.example/token', IMAP_OAUTH_CLIENT_ID: 'app-7' }, 'IMAP_OAUTH_REFRESH_TOKEN'],
      [{ IMAP_HOST: 'imap.fjordpost.example', IMAP_USER: 'post', IMAP_PASSWORD: 'hemmelig-passord' }, null],
      [{ IMAP_HOST: 'imap.fjordpost.example', IMAP_USER: 'post', IMAP_OAUTH_TOKEN_URL: 'https://login.fjordpost.example/token', IMAP_OAUTH_CLIENT_ID: 'app-7', IMAP_OAUTH_REFRESH_TOKEN: 'rt-1' }, null],
      [{ SMTP_URL: 'smtp://relay.fjordpost.example:587', MAIL_FROM: '' }, 'MAIL_FROM'],
      [{ SMTP_URL: 'smtp://relay.fjordpost.example:587' }, null],
    ];
    for (const [vars, missingKey] of cases) {
      const r = await withEnv(vars, 'config', 'check');
      if (missingKey) {
        expectCleanFailure(r, new RegExp(`config error: ${missingKey}\\b`), { oneLine: true });
        expect(r.stderr).not.toContain('hemmelig');
      } else expect(r.code, `${JSON.stringify(vars)}: ${r.stderr}`).toBe(0);
    }
    // start refuses the same, before it opens the database or the mailbox.
    expectCleanFailure(await startRefused({ IMAP_HOST: 'imap.fjordpost.example' }), /config error: IMAP_USER\b/, { oneLine: true });
    expectCleanFailure(await startRefused({ SMTP_URL: 'smtp://relay.fjordpost.example:587', MAIL_FROM: '' }), /config error: MAIL_FROM\b/, { oneLine: true });
  });
});

const LISTS: string[][] = [
  ['messages', 'list'],
  ['quarantine', 'list'],
  ['tickets', 'list'],
  ['leads', 'list'],
  ['contacts', 'list'],
  ['organisations', 'list'],
  ['triage', 'list'],
  ['tasks', 'list'],
  ['notices', 'list'],
  ['privacy', 'list'],
  ['subscribers', 'list'],
  ['outbox', 'list'],
];

describe('--limit (point 7)', () => {
  it('every list refuses a limit that is not a whole number of at least 1, and prints no rows', { timeout: 600_000 }, async () => {
    const tries = [...LISTS.map((list) => [list, 'abc'] as const), ...['-5', '0', '2.5'].map((bad) => [['tickets', 'list'], bad] as const)];
    for (const [list, bad] of tries) {
      {
        const r = await cli(...list, '--limit', bad);
        expect(r.code, `${list.join(' ')} --limit ${bad}`).not.toBe(0);
        expect(r.stderr).toMatch(new RegExp(`--limit.*'${bad.replace('.', '\\.')}'.*whole number`));
        expect(r.stdout, `${list.join(' ')} --limit ${bad} printed rows`).toBe('');
      }
    }
    const one = await cli('tickets', 'list', '--limit', '1', '--json');
    expect(one.code, one.stderr).toBe(0);
    expect(one.json).toHaveLength(1);
  });
});

/** The entries of a commander help section ("Commands:" or "Options:"): the term and its description. */
function helpEntries(help: string, section: 'Commands' | 'Options'): { term: string; description: string }[] {
  const lines = help.split('\n');
  const start = lines.findIndex((l) => l === `${section}:`);
  if (start < 0) return [];
  const out: { term: string; description: string }[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('  ')) break;
    if (line.startsWith('   ')) continue; // a wrapped description
    const m = line.slice(2).match(/^(.*?)(?: {2,}(.*))?$/)!;
    out.push({ term: m[1]!.trim(), description: (m[2] ?? '').trim() });
  }
  return out;
}

describe('consistency (point 9)', () => {
  it('mailroom --version prints the version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8'));
    for (const flag of ['--version', '-V']) {
      const r = await cli(flag);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(version);
    }
  });

  // About a hundred runs of the binary: the timeout is for a loaded machine, not a goal.
  it('every command and every option has a description in --help', { timeout: 900_000 }, async () => {
    const missing: string[] = [];
    const visit = async (words: string[]) => {
      const r = await cli(...words, '--help');
      expect(r.code, `${words.join(' ')} --help: ${r.stderr}`).toBe(0);
      for (const o of helpEntries(r.stdout, 'Options')) if (!o.description) missing.push(`${words.join(' ')} ${o.term}`);
      const subcommands = helpEntries(r.stdout, 'Commands').filter((c) => !c.term.startsWith('help'));
      for (const c of subcommands) if (!c.description) missing.push(`${[...words, c.term.split(' ')[0]].join(' ')} (command)`);
      // A few at a time: each is a process of its own.
      for (let i = 0; i < subcommands.length; i += 4) {
        await Promise.all(subcommands.slice(i, i + 4).map((c) => visit([...words, c.term.split(' ')[0]!])));
      }
    };
    await visit([]);
    expect(missing).toEqual([]);
  });

  it('records import --help lists the accepted columns of every kind, the required ones marked', async () => {
    const r = await cli('records', 'import', '--help');
    expect(r.code, r.stderr).toBe(0);
    const choices = r.stdout.match(/\(choices: ([^)]*)\)/)![1]!;
    const kinds = [...choices.matchAll(/"([a-z-]+)"/g)].map((m) => m[1]!);
    expect(kinds.length).toBeGreaterThan(1);
    const columns = r.stdout.slice(r.stdout.indexOf('Columns by kind'));
    for (const kind of kinds) {
      const section = columns.slice(columns.indexOf(`  ${kind}:`) + 1).split(/\n {2}\S/)[0]!;
      expect(columns, kind).toContain(`  ${kind}:\n`);
      expect(section, `${kind}: a required column is marked`).toMatch(/^ {4}\w+\*/m);
    }
  });

  it('every --json prints times as ISO …T…Z (privacy and outbox printed PostgreSQL text)', { timeout: 900_000 }, async () => {
    const html = path.join(dataDir, 'letter.html');
    writeFileSync(html, '<p>God jul fra oss alle, {{first_name}}!</p>');
    expect((await cli('lists', 'create', 'julebrev', '--nb', 'Julebrev', '--en', 'Christmas letter')).code).toBe(0);
    expect((await cli('campaigns', 'create', '--name', 'Jul', '--subject', 'God jul', '--html', html, '--list', 'julebrev')).code).toBe(0);
    expect((await cli('subscribers', 'add', 'nils.berg@fjellnett.example', '--list', 'julebrev')).code).toBe(0);
    const privacy = (await cli('privacy', 'list', '--json')).json as { id: string }[];
    expect(privacy.length).toBeGreaterThan(0);
    const runs = [
      ...LISTS.map((l) => [...l, '--json']),
      ['messages', 'show', '1', '--json'],
      ['tickets', 'show', 'SUP-000001', '--json'],
      ['leads', 'show', 'LEAD-000001', '--json'],
      ['contacts', 'show', 'kari.nordmann@fjordvarme.example', '--json'],
      ['tasks', 'show', 'T-000001', '--json'],
      ['privacy', 'show', privacy[0]!.id, '--json'],
      ['privacy', 'export', '--email', 'kari.nordmann@fjordvarme.example'],
      ['lists', 'list', '--json'],
      ['campaigns', 'list', '--json'],
      ['campaigns', 'show', '1', '--json'],
      ['campaigns', 'stats', '1', '--json'],
    ];
    const notIso: string[] = [];
    const scan = (v: unknown, where: string) => {
      if (typeof v === 'string') {
        if (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}/.test(v) && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(v)) notIso.push(`${where}: ${v}`);
      } else if (Array.isArray(v)) v.forEach((x) => scan(x, where));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) scan(x, `${where} .${k}`);
    };
    for (const args of runs) {
      const r = await cli(...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.json, `${args.join(' ')} printed no JSON`).toBeDefined();
      scan(r.json, args.join(' '));
    }
    expect(notIso).toEqual([]);
  });

  it('privacy list and privacy show use the same word for the state of each right', { timeout: 600_000 }, async () => {
    for (const c of (await cli('privacy', 'list', '--json')).json as { id: string; rights: string }[]) {
      const shown = (await cli('privacy', 'show', c.id, '--json')).json as { rights: { right: string; state: string }[] };
      expect(c.rights).toBe(shown.rights.map((r) => `${r.right}:${r.state}`).join(', '));
    }
  });

  it('an import with the daemon stopped says that its acknowledgements wait in the outbox until the daemon runs', () => {
    expect(importOutput.stdout).toMatch(/outbox\s+\d+ messages? queued \(acknowledgements\); the daemon is not running: they wait as pending until it runs/);
  });

  it('/metrics has no mailbox gauge when no mailbox is configured', async () => {
    const denv = daemonEnv({ DATABASE_URL: db.url, IMAP_HOST: '', SMTP_URL: '' });
    const daemon = await startDaemonProcess(denv);
    try {
      const body = await (await fetch(`http://127.0.0.1:${daemon.httpPort}/metrics`)).text();
      expect(body).toContain('mailroom_outbox_pending');
      expect(body).not.toMatch(/mailroom_mailbox_(up|last_activity)/);
    } finally {
      await daemon.stop();
      cleanupDaemonEnv(denv);
    }
  });
});

describe('compiled JavaScript (point 10)', () => {
  it('the mailroom binary runs without the TypeScript sources beside it', async () => {
    const shipped = mkdtempSync(path.join(tmpdir(), 'mailroom-shipped-'));
    try {
      for (const dir of ['bin', 'dist']) cpSync(path.join(projectRoot, dir), path.join(shipped, dir), { recursive: true });
      cpSync(path.join(projectRoot, 'package.json'), path.join(shipped, 'package.json'));
      symlinkSync(path.join(projectRoot, 'node_modules'), path.join(shipped, 'node_modules'));
      // config/ as the image ships it: the behaviour file and the shipped keyword rules.
      cpSync(path.join(projectRoot, 'config'), path.join(shipped, 'config'), { recursive: true });
      const runShipped = (...args: string[]) =>
        runCli({ ...env({ MAILROOM_CONFIG: path.join(shipped, 'config/mailroom.yaml') }), cwd: shipped, bin: path.join(shipped, 'bin/mailroom.js') }, ...args);
      const version = await runShipped('--version');
      expect(version.code, version.stderr).toBe(0);
      const tickets = await runShipped('tickets', 'list', '--json');
      expect(tickets.code, tickets.stderr).toBe(0);
      expect(tickets.json.length).toBeGreaterThan(0);
      // Filing a new ticket renders its acknowledgement from the templates, read from disk
      // beside the compiled code.
      const eml = path.join(shipped, 'again.eml');
      writeFileSync(eml, readFileSync(path.join(projectRoot, 'test/fixtures/mail/01-support-nb.eml'), 'utf8').replace(/^Message-ID: .*$/m, 'Message-ID: <shipped-copy-1@mail.customer.example>'));
      const filed = await runShipped('import', eml, '--json');
      expect(filed.code, filed.stderr).toBe(0);
      expect(filed.json).toMatchObject({ stored: 1, quarantined: 0 });
      expect(filed.json.outbox.queued).toBeGreaterThan(0);
    } finally {
      rmSync(shipped, { recursive: true, force: true });
    }
  });
});
