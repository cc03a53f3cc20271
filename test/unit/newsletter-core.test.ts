import { describe, expect, it } from 'vitest';
import { signToken, verifyToken, confirmToken, readConfirmToken } from '../../src/newsletter/tokens.ts';
import { truncateIp } from '../../src/newsletter/ip.ts';
import { machineReason } from '../../src/newsletter/machine.ts';
import { Bucket, SendRateLimiter } from '../../src/newsletter/rate-limit.ts';
import { prepareTemplate, compileCampaign, renderCampaignMail, readCampaignMessageId } from '../../src/newsletter/render.ts';
import { CAMPAIGN_HTML } from '../support/newsletter-helpers.ts';

const S = 'secret-one';
const W = { openWindowSeconds: 2, clickWindowSeconds: 10 };

describe('newsletter tokens', () => {
  it('verifies its own tokens and nothing altered', () => {
    const t = signToken(S, 'c', ['12', '345', '2']);
    expect(verifyToken(S, 'c', t, 3)).toEqual(['12', '345', '2']);
    expect(verifyToken('other', 'c', t, 3)).toBeNull();
    expect(verifyToken(S, 'u', t, 3)).toBeNull();
    expect(verifyToken(S, 'c', t.replace('.345.', '.346.'), 3)).toBeNull();
    const last = t.at(-1) === 'A' ? 'B' : 'A';
    expect(verifyToken(S, 'c', t.slice(0, -1) + last, 3)).toBeNull();
    expect(verifyToken(S, 'c', t + 'x', 3)).toBeNull();
    expect(verifyToken(S, 'c', '', 3)).toBeNull();
    expect(verifyToken([S, 'old'], 'c', signToken('old', 'c', ['1', '2', '3']), 3)).toEqual(['1', '2', '3']);
  });
  it('confirmation tokens expire', () => {
    const now = new Date('2026-11-26T10:00:00Z');
    const t = confirmToken(S, '7', ['1', '2'], new Date(now.getTime() + 3600_000));
    expect(readConfirmToken(S, t, now)).toEqual({ subscriberId: '7', listIds: ['1', '2'] });
    expect(readConfirmToken(S, t, new Date(now.getTime() + 2 * 3600_000))).toBe('expired');
    expect(readConfirmToken(S, t.replace('k.7.', 'k.8.'), now)).toBeNull();
  });
});

describe('IP truncation (the seed: 12.214.31.144 → 12.214.31.0, IPv6 /48)', () => {
  it.each([
    ['12.214.31.144', '12.214.31.0'],
    ['::ffff:12.214.31.144', '12.214.31.0'],
    ['2001:db8:abcd:12::1', '2001:db8:abcd::'],
    ['2001:0db8:00ab:ffff:1:2:3:4', '2001:db8:ab::'],
    ['::1', '0:0:0::'],
    ['not an ip', null],
    [undefined, null],
  ])('%s → %s', (ip, out) => expect(truncateIp(ip)).toBe(out));
});

describe('machine events', () => {
  const human = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
  it('recognises image proxies, Apple MPP and prefetches as machine opens', () => {
    expect(machineReason({ kind: 'open', method: 'GET', userAgent: 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)', ip: '66.249.1.1' }, W)).toBe('image-proxy');
    expect(machineReason({ kind: 'open', method: 'GET', userAgent: 'Mozilla/5.0', ip: '17.58.1.2' }, W)).toBe('apple-mpp');
    expect(machineReason({ kind: 'open', method: 'GET', userAgent: human, ip: '12.1.1.1', secondsSinceDelivery: 1 }, W)).toBe('prefetch');
    expect(machineReason({ kind: 'open', method: 'GET', userAgent: human, ip: '12.1.1.1', secondsSinceDelivery: 600 }, W)).toBeNull();
  });
  it('recognises scanners clicking', () => {
    expect(machineReason({ kind: 'click', method: 'HEAD', userAgent: human, ip: '1.2.3.4' }, W)).toBe('head-request');
    expect(machineReason({ kind: 'click', method: 'GET', userAgent: 'Mimecast URL Protect', ip: '1.2.3.4' }, W)).toBe('scanner');
    expect(machineReason({ kind: 'click', method: 'GET', userAgent: human, ip: '1.2.3.4', secondsSinceDelivery: 3 }, W)).toBe('click-too-soon');
    expect(machineReason({ kind: 'click', method: 'GET', userAgent: '', ip: '1.2.3.4' }, W)).toBe('no-user-agent');
    expect(machineReason({ kind: 'click', method: 'GET', userAgent: human, ip: '1.2.3.4', secondsSinceDelivery: 300 }, W)).toBeNull();
  });
});

describe('rate limit', () => {
  it('a bucket of 10/s lets the burst through and then spaces sends', () => {
    let t = 0;
    const b = new Bucket(10, 1, () => t);
    expect(b.reserve()).toBe(0);
    expect(b.reserve()).toBe(100);
    t += 1000;
    expect(b.reserve()).toBe(0);
    expect(new Bucket(0, 1).reserve()).toBe(0);
  });

  it('several daemons share the configured rates: each takes 1/n of them', () => {
    let t = 0;
    const sent = (l: SendRateLimiter, domain: string) => {
      let n = 0;
      for (let ms = 0; ms < 10_000; ms += 10) {
        t += 10;
        while (l.reserve(domain) === 0) n++;
        l.refund(domain);
      }
      return n;
    };
    const alone = new SendRateLimiter({ globalPerSecond: 100, perDomainPerSecond: 20, now: () => t });
    const oneOfTwo = new SendRateLimiter({ globalPerSecond: 100, perDomainPerSecond: 20, now: () => t });
    oneOfTwo.setShare(2);
    // Ten seconds: about 100/s alone, 50/s as one of two; per domain 20/s and 10/s.
    expect(sent(alone, 'big.example')).toBeGreaterThan(190);
    expect(sent(oneOfTwo, 'big.example')).toBeLessThan(110);
    const g = new SendRateLimiter({ globalPerSecond: 100, perDomainPerSecond: 0, now: () => t });
    g.setShare(2);
    const half = sent(g, 'a.example');
    g.setShare(1);
    expect(sent(g, 'a.example')).toBeGreaterThan(half * 1.8);
  });
});

describe('campaign rendering', () => {
  const prepared = prepareTemplate(CAMPAIGN_HTML, 'nb');
  const cc = compileCampaign({ id: '5', subject: 'Nyheter for {{first_name}}', language: 'nb', preparedHtml: prepared.html, templateText: null, links: prepared.links });
  const ctx = { secret: S, publicUrl: 'https://nl.example', orgName: 'InfraComfort AS', from: 'InfraComfort <post@infracomfort.example>', messageIdDomain: 'infracomfort.example', mailFrom: 'post@infracomfort.example' };
  it('inlines CSS, rewrites links, adds the pixel, headers and a text part', () => {
    const m = renderCampaignMail(cc, { subscriberId: '42', email: 'kari@x.example', name: 'Kari Nordmann', dnt: false }, ctx);
    expect(m.subject).toBe('Nyheter for Kari');
    expect(m.html).toMatch(/<h1 style="color: #0b5cad;">/);
    expect(m.html).not.toContain('<style');
    expect(m.html).toContain('https://nl.example/newsletter/c?t=c.5.42.0.');
    expect(m.html).not.toContain('href="https://www.infracomfort.example/nyheter');
    expect(m.html).toContain('https://nl.example/newsletter/o?t=o.5.42.');
    expect(m.headers!['List-Unsubscribe']).toMatch(/^<https:\/\/nl\.example\/newsletter\/unsubscribe\?t=u\.42\.[^>]+>, <mailto:post@infracomfort\.example\?subject=unsubscribe%20u\.42\./);
    expect(m.headers!['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(m.text).toContain('Hei Kari!');
    expect(m.text).toContain('https://www.infracomfort.example/kurs');
    expect(m.text).toContain('Meld meg av: https://nl.example/newsletter/unsubscribe?t=u.42.');
    expect(readCampaignMessageId(m.messageId)).toEqual({ campaignId: '5', subscriberId: '42' });
    expect(prepared.links).toEqual(['https://www.infracomfort.example/nyheter?id=1&amp;src=nl', 'https://www.infracomfort.example/kurs']);
  });
  it('DO NOT TRACK: no pixel and no rewritten links', () => {
    const m = renderCampaignMail(cc, { subscriberId: '43', email: 'per@x.example', name: 'Per', dnt: true }, ctx);
    expect(m.html).not.toContain('/newsletter/o?');
    expect(m.html).not.toContain('/newsletter/c?');
    expect(m.html).toContain('href="https://www.infracomfort.example/nyheter?id=1&amp;src=nl"');
    expect(m.html).toContain('/newsletter/unsubscribe?t=u.43.');
  });
  it('escapes subscriber fields in HTML', () => {
    const m = renderCampaignMail(cc, { subscriberId: '44', email: 'x@x.example', name: '<script>x</script>', dnt: false }, ctx);
    expect(m.html).not.toContain('<script>');
  });
});
