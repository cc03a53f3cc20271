/**
 * OAuth2 access tokens for XOAUTH2 mailboxes (Microsoft 365, Google), refreshed from the
 * provider's token endpoint with the refresh-token grant.
 *
 * The refresher caches the access token until shortly before it expires, runs at most one
 * refresh at a time, keeps a rotated refresh token when the provider sends a new one, and throws
 * an Error whose message never contains the token, the refresh token or the client secret.
 */

export interface TokenRefresherOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret?: string;
  refreshToken: string;
  /** Space-separated scopes; Microsoft wants e.g. `https://outlook.office.com/IMAP.AccessAsUser.All offline_access`. */
  scope?: string;
  /** Injected in tests; defaults to the global fetch. */
  fetch?: typeof globalThis.fetch;
  /** Refresh this long before `expires_in` runs out (default 60 s). */
  earlyRefreshMs?: number;
  /** Give up on one token request after this long (default 15 s). */
  timeoutMs?: number;
  /** For tests. */
  now?: () => number;
}

export class TokenRefreshError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly oauthError?: string,
  ) {
    super(message);
    this.name = 'TokenRefreshError';
  }
}

/** Used when the endpoint leaves out `expires_in` (it should not): refresh every 5 minutes. */
const DEFAULT_LIFETIME_S = 300;

export function createTokenRefresher(opts: TokenRefresherOptions): () => Promise<string> {
  const doFetch = opts.fetch ?? globalThis.fetch;
  const now = opts.now ?? Date.now;
  const earlyMs = opts.earlyRefreshMs ?? 60_000;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  let refreshToken = opts.refreshToken;
  let cached: { token: string; refreshAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  const secrets = () => [refreshToken, opts.refreshToken, opts.clientSecret, cached?.token].filter((s): s is string => !!s && s.length >= 4);
  /** Provider error texts are echoed into our message; make sure none of our secrets ride along. */
  const scrub = (text: string): string => {
    let out = text.replace(/[\r\n\t]+/g, ' ').slice(0, 300);
    for (const s of secrets()) out = out.split(s).join('[redacted]');
    return out;
  };
  let endpoint: string;
  try {
    const u = new URL(opts.tokenUrl);
    endpoint = `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    throw new TokenRefreshError('OAuth token refresh: tokenUrl is not a valid URL');
  }

  async function refresh(): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: opts.clientId });
    if (opts.clientSecret) body.set('client_secret', opts.clientSecret);
    if (opts.scope) body.set('scope', opts.scope);
    let res: Response;
    try {
      res = await doFetch(opts.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: body.toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new TokenRefreshError(`OAuth token refresh failed: could not reach ${endpoint} (${scrub(reason)})`);
    }
    const text = await res.text().catch(() => '');
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // not JSON: reported below
    }
    if (!res.ok) {
      const code = typeof json.error === 'string' ? json.error : undefined;
      const desc = typeof json.error_description === 'string' ? json.error_description : undefined;
      const detail = code ? `${code}${desc ? `: ${desc}` : ''}` : 'no OAuth error in the answer';
      throw new TokenRefreshError(
        `OAuth token refresh failed: ${endpoint} answered HTTP ${res.status} (${scrub(detail)})` +
          (code === 'invalid_grant' ? ' — the refresh token was revoked or expired; authorise the mailbox again' : ''),
        res.status,
        code,
      );
    }
    const token = json.access_token;
    if (typeof token !== 'string' || !token) {
      throw new TokenRefreshError(`OAuth token refresh failed: ${endpoint} answered HTTP ${res.status} without an access_token`, res.status);
    }
    const lifetimeS = Number(json.expires_in);
    const lifetimeMs = (Number.isFinite(lifetimeS) && lifetimeS > 0 ? lifetimeS : DEFAULT_LIFETIME_S) * 1000;
    // Refresh `earlyMs` before expiry, but never cache a short-lived token for less than half its life.
    const keepMs = Math.max(lifetimeMs - earlyMs, lifetimeMs / 2);
    if (typeof json.refresh_token === 'string' && json.refresh_token) refreshToken = json.refresh_token;
    cached = { token, refreshAt: now() + keepMs };
    return token;
  }

  return async function accessToken(): Promise<string> {
    if (cached && now() < cached.refreshAt) return cached.token;
    if (!inFlight) {
      inFlight = refresh().finally(() => {
        inFlight = undefined;
      });
    }
    return inFlight;
  };
}
