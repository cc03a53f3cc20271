/**
 * Whatever `mailroom` starts, it stops: the embedded PostgreSQL (no DATABASE_URL) that a CLI
 * command starts is stopped when the command ends, however it ends (its output piped into a
 * reader that stops early, an error, Ctrl-C, a kill), and the daemon stops a server it found
 * left over by a killed process instead of leaving it running after Ctrl-C. Everything here
 * runs the real bin/mailroom.js on an embedded server of its own.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, projectRoot, expectCleanFailure, type CliEnv } from '../support/cli-runner.ts';
import { embeddedDataDir, embeddedServerPid, embeddedServerAfterExit, stopEmbeddedServer } from '../support/embedded-data-dir.ts';
import { getFreePort } from '../support/free-port.ts';
import { daemonEnv, startDaemonProcess, type DaemonProcess } from '../support/daemon-process.ts';

let dataDir: string;
let pgPort: number;
let env: CliEnv;
const cli = (...args: string[]) => runCli(env, ...args);

beforeAll(async () => {
  dataDir = embeddedDataDir('mailroom-exit-paths-');
  pgPort = await getFreePort();
  // DATABASE_URL empty: the embedded default, as after `npm install` with nothing configured.
  env = { databaseUrl: '', dataDir, extra: { MAILROOM_SECRET: '', MAILROOM_EMBEDDED_PG_PORT: String(pgPort) } };
  const r = await cli('import', path.join(projectRoot, 'test/fixtures/mail'));
  expect(r.code, r.stderr).toBe(0);
  expect(await embeddedServerAfterExit(dataDir)).toBeNull();
});
afterAll(async () => {
  if (!dataDir) return;
  await stopEmbeddedServer(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
});

/** Waits (bounded) until a `mailroom` CLI process is connected to the embedded server. */
async function cliConnected(): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (embeddedServerPid(dataDir) !== null) {
      const client = new pg.Client({ connectionString: `postgres://mailroom:mailroom@127.0.0.1:${pgPort}/postgres`, connectionTimeoutMillis: 1000 });
      client.on('error', () => {});
      try {
        await client.connect();
        const r = await client.query(`select count(*)::int as n from pg_stat_activity where application_name like 'mailroom-cli:%'`);
        if (r.rows[0].n > 0) return;
      } catch {
        // still starting
      } finally {
        await client.end().catch(() => {});
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the CLI never connected to the embedded PostgreSQL');
}

describe('the CLI on the embedded database (daemon stopped)', () => {
  it('output piped into a reader that stops early (`| head -1`): a quiet exit 0, and the database it started is stopped', async () => {
    for (const args of [['messages', 'list'], ['tickets', 'show', 'SUP-000001'], ['tasks', 'list']]) {
      const p = startCli(env, ...args);
      // The reader is gone before the first line is written: every write meets a closed pipe.
      p.child.stdout!.destroy();
      const r = await p.result;
      expect(r.stderr, args.join(' ')).not.toMatch(/EPIPE|\n\s+at /);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(await embeddedServerAfterExit(dataDir), `${args.join(' ')} left PostgreSQL running`).toBeNull();
    }
  });

  it('a command that fails stops the database it started', async () => {
    expectCleanFailure(await cli('tickets', 'show', 'SUP-999999'), /no ticket SUP-999999/, { oneLine: true });
    expect(await embeddedServerAfterExit(dataDir)).toBeNull();
    expectCleanFailure(await cli('subscribers', 'unsubscribe', 'nobody@nowhere.example'), /nobody@nowhere\.example/, { oneLine: true });
    expect(await embeddedServerAfterExit(dataDir)).toBeNull();
  });

  it('Ctrl-C or a kill while a command runs stops the database it started', async () => {
    expect((await cli('lists', 'create', 'driftsnytt', '--nb', 'Driftsnytt', '--en', 'Operations news')).code).toBe(0);
    const html = path.join(dataDir, 'letter.html');
    writeFileSync(html, '<p>Hei {{first_name}}, her er nytt fra driften denne måneden.</p>');
    const created = await cli('campaigns', 'create', '--name', 'Desember', '--subject', 'Nytt fra driften', '--html', html, '--list', 'driftsnytt');
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.trim();
    for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      // `campaigns watch` on a draft waits until it is sent: a command that holds the database.
      const p = startCli(env, 'campaigns', 'watch', id);
      await cliConnected();
      p.child.kill(signal);
      const r = await p.result;
      expect(r.code, `${signal}: ${r.stderr}`).toBe(code);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(await embeddedServerAfterExit(dataDir), `${signal} left PostgreSQL running`).toBeNull();
    }
  });
});

describe('the daemon on the embedded database', () => {
  let daemon: DaemonProcess | undefined;
  afterAll(async () => {
    await daemon?.kill();
  });

  it('stops a database it found left over by a killed daemon; its log lines carry one pid each', async () => {
    const denv = daemonEnv({ DATABASE_URL: '', MAILROOM_DATA_DIR: dataDir, MAILROOM_EMBEDDED_PG_PORT: String(pgPort), LOG_LEVEL: 'info', MAILROOM_SECRET: '' });
    daemon = await startDaemonProcess(denv);
    const first = embeddedServerPid(dataDir);
    expect(first).not.toBeNull();
    await daemon.kill(); // kill -9: no chance to stop anything
    expect(embeddedServerPid(dataDir), 'a killed daemon cannot stop its database').toBe(first);

    daemon = await startDaemonProcess(denv);
    expect(embeddedServerPid(dataDir), 'the second daemon uses the server that was left').toBe(first);
    await daemon.stop(); // as Ctrl-C on `npm start`
    expect(daemon.child.exitCode, daemon.output()).toBe(0);
    expect(await embeddedServerAfterExit(dataDir), `the daemon left the database it adopted running:\n${daemon.output()}`).toBeNull();

    const lines = daemon.output().split('\n').filter((l) => l.startsWith('{'));
    expect(lines.some((l) => /already running/.test(l))).toBe(true);
    for (const line of lines) expect(line.match(/"pid":/g)?.length ?? 0, line).toBeLessThanOrEqual(1);
  });
});
