import type { Config } from '../config/load-config.ts';
import { ConfigError } from '../config/load-config.ts';
import type { ImapAuth, ImapConnection } from './imap-watcher.ts';
import { createTokenRefresher } from './oauth-token.ts';

/**
 * The shared inbox's IMAP connection from the environment (password or OAuth2/XOAUTH2), or
 * undefined when IMAP_HOST is unset. The daemon's watcher and `mailroom doctor` log in alike.
 */
export function imapConnectionFromConfig(config: Config): ImapConnection | undefined {
  const env = config.env;
  if (!env.IMAP_HOST) return undefined;
  if (!env.IMAP_USER) throw new ConfigError('IMAP_USER', 'is required when IMAP_HOST is set');
  let auth: ImapAuth;
  if (env.IMAP_OAUTH_TOKEN_URL) {
    if (!env.IMAP_OAUTH_CLIENT_ID || !env.IMAP_OAUTH_REFRESH_TOKEN) {
      throw new ConfigError('IMAP_OAUTH_CLIENT_ID', 'and IMAP_OAUTH_REFRESH_TOKEN are required with IMAP_OAUTH_TOKEN_URL');
    }
    auth = {
      accessToken: createTokenRefresher({
        tokenUrl: env.IMAP_OAUTH_TOKEN_URL,
        clientId: env.IMAP_OAUTH_CLIENT_ID,
        clientSecret: env.IMAP_OAUTH_CLIENT_SECRET,
        refreshToken: env.IMAP_OAUTH_REFRESH_TOKEN,
      }),
    };
  } else {
    if (!env.IMAP_PASSWORD) throw new ConfigError('IMAP_PASSWORD', 'is required when IMAP_HOST is set (or configure IMAP_OAUTH_TOKEN_URL)');
    auth = { pass: env.IMAP_PASSWORD };
  }
  const secure = env.IMAP_SECURE ?? (env.IMAP_PORT === undefined || env.IMAP_PORT === 993);
  return { host: env.IMAP_HOST, port: env.IMAP_PORT ?? (secure ? 993 : 143), secure, user: env.IMAP_USER, auth };
}
