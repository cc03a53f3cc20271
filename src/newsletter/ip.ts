import { isIP } from 'node:net';

/**
 * The seed's rule for every stored address: IPv4 keeps its first three octets
 * (12.214.31.144 → 12.214.31.0), IPv6 its first 48 bits (2001:db8:abcd:12::1 → 2001:db8:abcd::).
 * IPv4-mapped IPv6 is treated as IPv4. Anything else is not stored at all.
 */
export function truncateIp(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let ip = raw.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) ip = mapped[1]!;
  const v = isIP(ip);
  if (v === 4) {
    const o = ip.split('.');
    return `${o[0]}.${o[1]}.${o[2]}.0`;
  }
  if (v === 6) {
    const groups = expandIpv6(ip);
    if (!groups) return null;
    return `${groups.slice(0, 3).map((g) => parseInt(g, 16).toString(16)).join(':')}::`;
  }
  return null;
}

function expandIpv6(ip: string): string[] | null {
  const noZone = ip.split('%')[0]!;
  const [head, tail] = noZone.includes('::') ? noZone.split('::') : [noZone, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  // An embedded IPv4 tail counts as two groups.
  const fix = (parts: string[]) =>
    parts.flatMap((p) => (p.includes('.') ? (() => { const o = p.split('.').map(Number); return [((o[0]! << 8) | o[1]!).toString(16), ((o[2]! << 8) | o[3]!).toString(16)]; })() : [p]));
  const hh = fix(h);
  const tt = fix(t);
  if (tail === undefined) return hh.length === 8 ? hh : null;
  const fill = 8 - hh.length - tt.length;
  if (fill < 0) return null;
  return [...hh, ...Array(fill).fill('0'), ...tt];
}
