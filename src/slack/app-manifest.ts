import { stringify as toYaml } from 'yaml';
import { botScopes } from './scopes.ts';

export interface ManifestOptions {
  /** PUBLIC_URL; required unless Socket Mode. */
  publicUrl?: string;
  socketMode: boolean;
  name: string;
  /** Where Slack sends interactions and the slash command (the receiver's route). */
  eventsPath?: string;
}

export class ManifestError extends Error {}

/**
 * The Slack app manifest (https://api.slack.com/reference/manifests) for this installation:
 * the bot scopes the code uses, the `/mailroom` command and interactivity, both pointing at
 * PUBLIC_URL + /slack/events, or Socket Mode (no public URL needed; the app-level token is
 * made by hand afterwards, a manifest cannot create it).
 */
export function slackAppManifest(o: ManifestOptions): Record<string, unknown> {
  const path = o.eventsPath ?? '/slack/events';
  let url: string | undefined;
  if (!o.socketMode) {
    if (!o.publicUrl) throw new ManifestError('PUBLIC_URL is not set: Slack needs the public https address of /slack/events; set PUBLIC_URL, or use Socket Mode (--socket-mode, or SLACK_APP_TOKEN)');
    url = o.publicUrl.replace(/\/+$/, '') + path;
  }
  return {
    _metadata: { major_version: 1, minor_version: 1 },
    display_information: {
      name: o.name,
      description: 'Files the shared inbox as tickets, leads and privacy cases, and asks staff here.',
      background_color: '#1d3557',
    },
    features: {
      bot_user: { display_name: o.name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').slice(0, 80), always_online: true },
      slash_commands: [
        {
          command: '/mailroom',
          ...(url ? { url } : {}),
          description: 'Look up a ticket, lead, privacy case or task',
          usage_hint: 'SUP-000123 | LEAD-000123 | PRV-000123 | T-12 | help',
          should_escape: false,
        },
      ],
    },
    oauth_config: { scopes: { bot: botScopes() } },
    settings: {
      interactivity: { is_enabled: true, ...(url ? { request_url: url } : {}) },
      org_deploy_enabled: false,
      socket_mode_enabled: o.socketMode,
      token_rotation_enabled: false,
    },
  };
}

/**
 * YAML by default: Slack's "From an app manifest" dialog takes it, and a person can read the
 * scopes before pasting; JSON for the apps.manifest.create API and for scripts.
 */
export function renderManifest(manifest: Record<string, unknown>, format: 'yaml' | 'json'): string {
  return format === 'json' ? JSON.stringify(manifest, null, 2) + '\n' : toYaml(manifest, { lineWidth: 0 });
}
