/**
 * The Slack app manifest asks for exactly the scopes of the Web API methods the code calls:
 * the sources are read for the calls, so a new call without its scope fails here.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SLACK_METHOD_SCOPES, botScopes } from '../../src/slack/scopes.ts';
import { slackAppManifest, renderManifest, ManifestError } from '../../src/slack/app-manifest.ts';
import { parse as parseYaml } from 'yaml';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Web API methods named in the code: `client.chat.postMessage(` and `'conversations.info'` literals in calls. */
function methodsCalled(): Set<string> {
  const found = new Set<string>();
  const ns = '(?:auth|chat|conversations|views|users|apps|files|reactions|pins|team|usergroups|bookmarks|reminders|search|admin)';
  for (const file of sources('src')) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(new RegExp(`\\bclient\\.(${ns})\\.(\\w+)\\(`, 'g'))) found.add(`${m[1]}.${m[2]}`);
    // Direct calls (doctor's fetch helper, apiCall): call(o, token, 'auth.test', …) / apiCall('x.y')
    for (const m of text.matchAll(new RegExp(`\\b(?:call\\([^'\\n]*|apiCall\\()'(${ns}\\.[\\w.]+)'`, 'g'))) found.add(m[1]!);
  }
  return found;
}

describe('Slack scopes', () => {
  it('every method the code calls has its scopes listed, and no listed method goes unused', () => {
    const called = methodsCalled();
    expect([...called].sort()).toEqual(Object.keys(SLACK_METHOD_SCOPES).sort());
  });

  it('the bot scopes are those of the methods plus commands for /mailroom', () => {
    expect(botScopes()).toEqual(['channels:history', 'channels:read', 'chat:write', 'commands', 'groups:history', 'groups:read']);
  });
});

describe('manifest', () => {
  it('points the slash command and interactivity at PUBLIC_URL + /slack/events', () => {
    const m = slackAppManifest({ publicUrl: 'https://post.infracomfort.example/', socketMode: false, name: 'Mailroom' }) as any;
    expect(m.features.slash_commands[0]).toMatchObject({ command: '/mailroom', url: 'https://post.infracomfort.example/slack/events' });
    expect(m.settings).toMatchObject({ socket_mode_enabled: false, interactivity: { is_enabled: true, request_url: 'https://post.infracomfort.example/slack/events' } });
    expect(m.oauth_config.scopes.bot).toEqual(botScopes());
    // YAML and JSON say the same.
    expect(parseYaml(renderManifest(m, 'yaml'))).toEqual(m);
    expect(JSON.parse(renderManifest(m, 'json'))).toEqual(m);
  });

  it('Socket Mode needs no URL; without it and without PUBLIC_URL it refuses', () => {
    const m = slackAppManifest({ socketMode: true, name: 'Mailroom' }) as any;
    expect(m.settings.socket_mode_enabled).toBe(true);
    expect(m.settings.interactivity).toEqual({ is_enabled: true });
    expect(m.features.slash_commands[0].url).toBeUndefined();
    expect(() => slackAppManifest({ socketMode: false, name: 'Mailroom' })).toThrow(ManifestError);
  });
});
