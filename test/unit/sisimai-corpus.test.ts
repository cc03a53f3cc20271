/**
 * Robustness and recognition over sisimai's set-of-emails (test/fixtures/sisimai/maildir).
 *
 * Buckets by file name (decided per prefix, exceptions listed and explained):
 *  - rfc3834-*  auto-replies: must be 'auto-reply' (never 'human').
 *  - arf-*      feedback reports: must be 'feedback-report' (never answered). A recipient is
 *               required except where the report names none (arf-11, arf-15: the original
 *               says only "Undisclosed Recipients").
 *  - everything else in bsd/ is a bounce, except these genuinely-not-failure notices:
 *      rfc3464-28        Postfix address-verification report, Action: deliverable (2.1.5)
 *      lhost-amazonses-12/13  SES "notificationType": "Delivery" (success notifications)
 *      lhost-amazonses-11     SES "notificationType": "Complaint" → 'feedback-report'
 *    They must still never be 'human'.
 *  - not/*      never a bounce.
 *
 * A bounce counts as recognised when kind is 'bounce' and the first failed recipient is
 * plausible: it occurs in the message (raw or decoded), is not the bounce's sender nor a
 * mailer-daemon/postmaster address unless the message itself lists it as the failed
 * recipient, and — when the message has DSN fields — equals a Final-/Original-Recipient.
 */
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { parseMessage, UnparseableMessageError, type ParsedMessage } from '../../src/ingest/parse-message.ts';
import { recogniseAutomatedMail, type AutomatedMailResult } from '../../src/ingest/automated-mail.ts';

const ROOT = new URL('../fixtures/sisimai/maildir/', import.meta.url);
const NOT_BOUNCES = new Map<string, AutomatedMailResult['kind'][]>([
  ['rfc3464-28.eml', ['auto-reply']],
  ['lhost-amazonses-11.eml', ['feedback-report']],
  ['lhost-amazonses-12.eml', ['auto-reply']],
  ['lhost-amazonses-13.eml', ['auto-reply']],
]);
const ARF_WITHOUT_RECIPIENT = new Set(['arf-11.eml', 'arf-15.eml']);

interface Row {
  file: string;
  raw: Buffer;
  parsed?: ParsedMessage;
  result?: AutomatedMailResult;
  error?: unknown;
}

async function load(sub: string): Promise<Row[]> {
  const dir = new URL(`${sub}/`, ROOT);
  const rows: Row[] = [];
  for (const file of readdirSync(dir).sort()) {
    const raw = readFileSync(new URL(file, dir));
    const row: Row = { file, raw };
    try {
      row.parsed = await parseMessage(raw);
      row.result = recogniseAutomatedMail(row.parsed, raw, { ownDomains: ['infracomfort.example'] });
    } catch (err) {
      row.error = err;
    }
    rows.push(row);
  }
  return rows;
}

function bounceMiss(row: Row): string | null {
  const r = row.result!;
  const p = row.parsed!;
  if (r.kind !== 'bounce') return `kind=${r.kind} (${r.reason})`;
  const first = r.bounce?.recipients[0]?.address;
  if (!first) return `no recipient (${r.reason})`;
  const haystacks = [row.raw.toString('latin1'), p.text, ...p.attachments.map((a) => a.content?.toString('latin1') ?? '')].map((s) => s.toLowerCase());
  if (!haystacks.some((h) => h.includes(first))) return `${first} does not occur in the message`;
  if (first === (p.from?.address ?? '').toLowerCase()) return `${first} is the bounce sender`;
  const finals = [...row.raw.toString('latin1').matchAll(/^(?:Final|Original)-Recipient:\s*[^;\n]*;\s*<?([^\s<>]+@[^\s<>]+?)>?\s*$/gim)].map((m) => m[1].toLowerCase());
  if (finals.length && !finals.includes(first)) return `${first} is not the DSN Final-Recipient (${finals[0]})`;
  return null;
}

describe('sisimai corpus', async () => {
  const bsd = await load('bsd');
  const not = await load('not');

  it('every file parses without a crash', () => {
    const crashed = [...bsd, ...not].filter((r) => r.error && !(r.error instanceof UnparseableMessageError));
    expect(crashed.map((r) => `${r.file}: ${String(r.error)}`)).toEqual([]);
    expect([...bsd, ...not].filter((r) => r.error).map((r) => r.file)).toEqual([]);
    expect(bsd.length).toBeGreaterThan(600);
  });

  it('≥ 98% of the bounces are recognised with the right failed recipient', () => {
    const bounces = bsd.filter((r) => !/^(rfc3834|arf)-/.test(r.file) && !NOT_BOUNCES.has(r.file));
    const misses = bounces.map((r) => [r.file, bounceMiss(r)] as const).filter(([, m]) => m);
    const rate = (bounces.length - misses.length) / bounces.length;
    const hard = bounces.filter((r) => r.result?.bounce?.recipients[0]?.hard).length;
    console.log(
      `[sisimai] bounces recognised with recipient: ${bounces.length - misses.length}/${bounces.length} = ${(rate * 100).toFixed(2)}% ` +
        `(hard ${hard}, soft ${bounces.length - misses.length - hard})`,
    );
    for (const [f, m] of misses) console.log(`[sisimai] MISS ${f}: ${m}`);
    expect(rate).toBeGreaterThanOrEqual(0.98);
  });

  it('documented non-bounce notices in bsd/ get their kind, never human', () => {
    for (const [file, kinds] of NOT_BOUNCES) {
      const row = bsd.find((r) => r.file === file)!;
      expect(kinds, file).toContain(row.result!.kind);
    }
  });

  it('every rfc3834 auto-reply is recognised as auto-reply', () => {
    const rows = bsd.filter((r) => r.file.startsWith('rfc3834-'));
    expect(rows.length).toBe(6);
    for (const r of rows) expect(r.result!.kind, r.file).toBe('auto-reply');
  });

  it('every arf-* is a feedback report (with its recipient where one is named)', () => {
    const rows = bsd.filter((r) => r.file.startsWith('arf-'));
    for (const r of rows) {
      expect(r.result!.kind, r.file).toBe('feedback-report');
      if (!ARF_WITHOUT_RECIPIENT.has(r.file)) expect(r.result!.bounce?.recipients[0]?.address, r.file).toMatch(/@/);
    }
  });

  it('nothing in not/ is a bounce', () => {
    expect(not.length).toBe(3);
    for (const r of not) expect(r.result!.kind, r.file).not.toBe('bounce');
  });
});
