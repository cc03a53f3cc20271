/**
 * Is a tracking event a person, or a machine acting for one? Pure decisions, tested on their own.
 *
 * Opens: Apple Mail Privacy Protection fetches every image from Apple's network (17.0.0.0/8)
 * with a bare "Mozilla/5.0" user agent; Gmail, Yahoo and other webmail proxies name themselves
 * in the user agent; and any open within `openWindowSeconds` of delivery is a prefetch.
 * Clicks: security scanners follow links within seconds of delivery, send HEAD, name
 * themselves, or run scripts (curl, python, Go, Java) — counted apart, never unsubscribing anyone.
 */
export interface MachineWindows {
  openWindowSeconds: number;
  clickWindowSeconds: number;
}

const PROXY_UA = /GoogleImageProxy|ggpht\.com|YahooMailProxy|Yahoo! Slurp|OutlookImageProxy|Mail\.RU_Bot|Comcast.*Proxy|Thunderbird-Image-Proxy/i;
const SCANNER_UA =
  /bot\b|crawler|spider|scanner|Barracuda|Mimecast|Proofpoint|SafeLinks|Symantec|Trend ?Micro|Sophos|FireEye|Forcepoint|Cisco|IronPort|ZScaler|Microsoft Office Protocol Discovery|python-requests|python-urllib|aiohttp|curl\/|wget\/|Go-http-client|Java\/|okhttp|HeadlessChrome|PhantomJS|axios|node-fetch|undici|libwww|httpclient|facebookexternalhit|Slackbot|LinkedInBot|Twitterbot/i;

export interface EventFacts {
  kind: 'open' | 'click' | 'view';
  method: string;
  userAgent: string | undefined;
  /** The client's address before truncation (only its network is looked at). */
  ip: string | null | undefined;
  /** Seconds since the recipient's copy was accepted by the SMTP peer; undefined if unknown. */
  secondsSinceDelivery?: number;
}

export function isAppleNetwork(ip: string | null | undefined): boolean {
  if (!ip) return false;
  const v4 = ip.replace(/^::ffff:/i, '');
  return /^17\./.test(v4);
}

/** The reason an event is a machine's, or null for a person. */
export function machineReason(e: EventFacts, w: MachineWindows): string | null {
  const ua = e.userAgent ?? '';
  if (e.method === 'HEAD') return 'head-request';
  if (!ua.trim()) return 'no-user-agent';
  if (e.kind === 'open' || e.kind === 'view') {
    if (PROXY_UA.test(ua)) return 'image-proxy';
    if (isAppleNetwork(e.ip) && (/^Mozilla\/5\.0$/.test(ua.trim()) || /AppleWebKit/.test(ua))) return 'apple-mpp';
    if (SCANNER_UA.test(ua)) return 'scanner';
    if (e.kind === 'open' && e.secondsSinceDelivery !== undefined && e.secondsSinceDelivery < w.openWindowSeconds) return 'prefetch';
    return null;
  }
  if (SCANNER_UA.test(ua) || PROXY_UA.test(ua)) return 'scanner';
  if (isAppleNetwork(e.ip) && /^Mozilla\/5\.0$/.test(ua.trim())) return 'apple-mpp';
  if (e.secondsSinceDelivery !== undefined && e.secondsSinceDelivery < w.clickWindowSeconds) return 'click-too-soon';
  return null;
}
