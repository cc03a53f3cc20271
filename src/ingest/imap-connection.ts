import type { MailboxConfig } from '../config/mailboxes.ts';
import type { ImapAuth, ImapConnection } from './imap-watcher.ts';
import { createTokenRefresher } from './oauth-token.ts';

/**
 * One mailbox's IMAP connection (password or OAuth2/XOAUTH2). The daemon's watchers and
 * `mailroom doctor` log in alike. loadConfig has already read the secrets the mailbox names.
 */
export function imapConnectionFor(mailbox: MailboxConfig): ImapConnection {
  const c = mailbox.credentials;
  const auth: ImapAuth =
    c.kind === 'oauth'
      ? { accessToken: createTokenRefresher({ tokenUrl: c.tokenUrl, clientId: c.clientId, clientSecret: c.clientSecret, refreshToken: c.refreshToken }) }
      : { pass: c.password };
  return { host: mailbox.host, port: mailbox.port, secure: mailbox.secure, user: mailbox.user, auth };
}
