/**
 * What the CLI shows of triage items, inbound messages and the quarantine (plain objects with
 * stable camelCase fields). Queries: message-view-store.ts.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { iso, num, type View } from './view-values.ts';
import {
  inboundDetailRow,
  inboundListRows,
  messageAttachmentRows,
  messageTriageRow,
  quarantinedRow,
  quarantineListRows,
  rawChunkTotals,
  triageListRows,
  type InboundRow,
} from './message-view-store.ts';

export async function listTriage(em: EntityManager, opts: { state?: string; limit?: number } = {}): Promise<View[]> {
  const state = opts.state === 'all' ? null : (opts.state ?? 'open');
  const rows = await triageListRows(em, { state, limit: opts.limit ?? 500 });
  return rows.map((r) => ({
    id: r.id,
    state: r.state,
    suggestedRoute: r.suggested_route,
    reason: r.reason,
    subject: r.subject,
    from: r.from_address,
    language: r.language ?? ((r.scores?.language as string | undefined) ?? null),
    inboundMessageId: r.inbound_message_id,
    resolution: r.resolution,
    resolvedBy: r.resolved_by,
    recordRef: r.record_ref,
    createdAt: iso(r.created_at),
    resolvedAt: iso(r.resolved_at),
  }));
}

// ---------------------------------------------------------------------------------------
// Inbound messages and quarantine
// ---------------------------------------------------------------------------------------

function inboundRow(r: InboundRow): View {
  return {
    id: r.id,
    source: r.source,
    state: r.state,
    outcome: r.outcome,
    recordRef: r.record_ref,
    subject: r.subject,
    from: r.from_address,
    messageId: r.message_id,
    automatedKind: r.automated_kind,
    automatedReason: r.automated_reason,
    language: r.language,
    problems: r.problems ?? [],
    attachments: Number(r.attachments),
    size: num(r.size),
    archive: r.archive,
    attempts: r.attempts,
    lastError: r.last_error,
    duplicateOf: r.duplicate_of,
    receivedAt: iso(r.received_at),
    filedAt: iso(r.filed_at),
  };
}

export const INBOUND_STATES = ['stored', 'parsed', 'filed', 'quarantined', 'duplicate'] as const;

export async function listMessages(em: EntityManager, opts: { state?: string; outcome?: string; limit?: number } = {}): Promise<View[]> {
  const rows = await inboundListRows(em, { state: opts.state ?? null, outcome: opts.outcome ?? null, limit: opts.limit ?? 100 });
  return rows.map(inboundRow);
}

export async function showMessage(em: EntityManager, id: string): Promise<View | null> {
  if (!/^\d+$/.test(id)) return null;
  const row = await inboundDetailRow(em, id);
  if (!row) return null;
  const attachments = await messageAttachmentRows(em, id);
  const triage = await messageTriageRow(em, id);
  const p = row.parsed ?? {};
  const addr = (a: { address?: string; name?: string } | undefined) => (a ? { address: a.address ?? '', name: a.name ?? '' } : null);
  const bounce = p.automated?.bounce;
  return {
    ...inboundRow(row),
    mailbox: row.mailbox,
    uidValidity: row.uid_validity,
    uid: num(row.uid),
    internalDate: iso(row.internal_date),
    nextAttemptAt: row.state === 'stored' || row.state === 'parsed' ? iso(row.next_attempt_at) : null,
    date: p.date ?? null,
    fromName: p.from?.name ?? null,
    to: (p.to ?? []).map(addr),
    cc: (p.cc ?? []).map(addr),
    replyTo: (p.replyTo ?? []).map(addr),
    inReplyTo: p.inReplyTo ?? null,
    references: p.references ?? [],
    contentType: p.contentType ?? null,
    bounce: bounce ? { recipients: bounce.recipients ?? [] } : null,
    triage: triage ? { id: triage.id, state: triage.state, suggestedRoute: triage.suggested_route, reason: triage.reason } : null,
    attachmentList: attachments.map((a) => ({
      position: a.position,
      filename: a.filename,
      contentType: a.content_type,
      size: Number(a.size),
      sha256: a.sha256,
      inline: a.inline,
      fromTnef: a.from_tnef,
      contentStored: a.stored,
    })),
    text: typeof p.text === 'string' ? p.text : null,
  };
}

/** `mailbox`: one mailbox's quarantine (its name in `mailboxes:`; `import` for imported mail). */
export async function listQuarantine(em: EntityManager, opts: { limit?: number; mailbox?: string } = {}): Promise<View[]> {
  const rows = await quarantineListRows(em, { mailbox: opts.mailbox === 'import' ? null : opts.mailbox, limit: opts.limit ?? 500 });
  return rows.map(quarantineRow);
}

function quarantineRow(r: InboundRow): View {
  return {
    id: r.id,
    source: r.source,
    mailbox: r.mailbox,
    subject: r.subject,
    from: r.from_address,
    messageId: r.message_id,
    reason: r.last_error,
    attempts: r.attempts,
    size: num(r.size),
    parsed: r.has_parsed,
    receivedAt: iso(r.received_at),
    quarantinedAt: iso(r.filed_at),
  };
}

export async function showQuarantined(em: EntityManager, id: string): Promise<View | null> {
  if (!/^\d+$/.test(id)) return null;
  const row = await quarantinedRow(em, id);
  if (!row) return null;
  const chunks = await rawChunkTotals(em, id);
  return {
    ...quarantineRow(row),
    problems: row.problems ?? [],
    rawStored: Number(chunks?.n ?? 0) > 0,
    rawBytes: Number(chunks?.bytes ?? 0),
    mailbox: row.mailbox,
    uid: num(row.uid),
  };
}
