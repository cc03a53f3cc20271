import type { Config } from '../config/load-config.ts';
import type { ImapAuth, ImapConnection } from './imap-watcher.ts';
import { createTokenRefresher } from './oauth-token.ts';

/**
 * The shared inbox's IMAP connection from the environment (password or OAuth2/XOAUTH2), or
 * undefined when IMAP_HOST is unset. The daemon's watcher and `mailroom doctor` log in alike.
 * loadConfig has already refused a host without a login, so the values used below are there.
 */
export function imapConnectionFromConfig(config: Config): ImapConnection | undefined {
  const env = config.env;
  if (!env.IMAP_HOST) return undefined;
  const auth: ImapAuth = env.IMAP_OAUTH_TOKEN_URL
    ? {
        accessToken: createTokenRefresher({
          tokenUrl: env.IMAP_OAUTH_TOKEN_URL,
          clientId: env.IMAP_OAUTH_CLIENT_ID!,
          clientSecret: env.IMAP_OAUTH_CLIENT_SECRET,
          refreshToken: env.IMAP_OAUTH_REFRESH_TOKEN!,
        }),
      }
    : { pass: env.IMAP_PASSWORD! };
  const secure = env.IMAP_SECURE ?? (env.IMAP_PORT === undefined || env.IMAP_PORT === 993);
  return { host: env.IMAP_HOST, port: env.IMAP_PORT ?? (secure ? 993 : 143), secure, user: env.IMAP_USER!, auth };
}
