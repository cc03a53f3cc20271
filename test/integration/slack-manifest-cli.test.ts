/** Issue 20, point 4: `mailroom slack manifest` as an operator runs it before creating the app. */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runCli, expectCleanFailure } from '../support/cli-runner.ts';

const dataDir = mkdtempSync(path.join(tmpdir(), 'mailroom-manifest-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
// No database is needed: the URL points nowhere on purpose.
const env = (extra: Record<string, string>) => ({ databaseUrl: 'postgres://nobody@127.0.0.1:1/none', dataDir, extra: { DATABASE_URL: '', MAILROOM_SECRET: '', ...extra } });

describe('mailroom slack manifest', () => {
  it('prints a YAML manifest with the URLs from PUBLIC_URL, and creates nothing', async () => {
    const r = await runCli(env({ PUBLIC_URL: 'https://post.infracomfort.example' }), 'slack', 'manifest');
    expect(r.code, r.stderr).toBe(0);
    const m = parseYaml(r.stdout);
    expect(m.features.slash_commands[0]).toMatchObject({ command: '/mailroom', url: 'https://post.infracomfort.example/slack/events' });
    expect(m.settings.interactivity.request_url).toBe('https://post.infracomfort.example/slack/events');
    expect(m.oauth_config.scopes.bot).toContain('chat:write');
    expect(r.stderr).toBe('');
    expect(existsSync(path.join(dataDir, 'secret.key'))).toBe(false);
  });

  it('--json for the API; SLACK_APP_TOKEN chooses Socket Mode and needs no PUBLIC_URL', async () => {
    const r = await runCli(env({ SLACK_APP_TOKEN: 'xapp-1-test', PUBLIC_URL: '' }), 'slack', 'manifest', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.settings.socket_mode_enabled).toBe(true);
    expect(r.json.settings.interactivity).toEqual({ is_enabled: true });
    expect(r.stderr).toMatch(/app-level token with connections:write/);
    expect(r.stdout).not.toContain('xapp-1-test');
  });

  it('refuses in one line without PUBLIC_URL unless Socket Mode', async () => {
    const r = await runCli(env({ PUBLIC_URL: '' }), 'slack', 'manifest');
    expectCleanFailure(r, /PUBLIC_URL is not set: .*--socket-mode/, { oneLine: true });
    expect(r.stdout).toBe('');
    const s = await runCli(env({ PUBLIC_URL: '' }), 'slack', 'manifest', '--socket-mode');
    expect(s.code).toBe(0);
  });
});
