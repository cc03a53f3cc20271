/**
 * A network or protocol error as a few words an operator can act on (no stack, no secret):
 * "connection refused", "host not found", "TLS: self-signed certificate", "no answer in time".
 */
export function describeNetError(e: unknown): string {
  const err = e as { code?: string; message?: string; cause?: unknown; reason?: string };
  if (err?.cause && !err.code) return describeNetError(err.cause);
  // Some clients (nodemailer's ESOCKET) wrap the socket's code into their own message.
  const code = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT)\b/.exec(String(err?.message ?? ''))?.[1] ?? err?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ETIMEDOUT':
    case 'ETIMEOUT':
    case 'CONNECT_TIMEOUT':
    case 'GREETING_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'no answer in time';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return 'TLS: self-signed certificate';
    case 'CERT_HAS_EXPIRED':
      return 'TLS: certificate expired';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'TLS: certificate is for another host name';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      return 'TLS: certificate not trusted';
  }
  if (/wrong version number|EPROTO/i.test(String(err?.message ?? '')) || err?.code === 'EPROTO') return 'TLS mismatch (is the port a TLS port? check the secure/port setting)';
  const text = String(err?.message ?? e).split('\n')[0]!.replace(/\s+/g, ' ').trim();
  return text.length > 160 ? text.slice(0, 157) + '...' : text;
}

/** host:port/path of a URL, without user, password or query (which may hold secrets). */
export function describeUrl(url: string, defaultPort?: number): string {
  try {
    const u = new URL(url);
    const port = u.port || (defaultPort ? String(defaultPort) : '');
    const path = u.pathname && u.pathname !== '/' ? u.pathname : '';
    return `${u.hostname}${port ? ':' + port : ''}${path}`;
  } catch {
    return '(unreadable URL)';
  }
}
