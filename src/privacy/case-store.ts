/**
 * Named queries over a privacy case and its rights, audit trail and reminders (`privacy_case`,
 * `privacy_right`, `privacy_audit`, `privacy_reminder`), for the case services
 * (case-intake.ts, case-approvals.ts, case-letters.ts), the HTTP links and the jobs. Raw SQL,
 * not the entities: the services and the CLI read the rows in their column shape (CaseRow), and
 * most writes are conditional state moves (`where … and closed_at is null returning …`).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { sqlOf } from '../db/sql.ts';
import type { CaseRight } from './recognise.ts';

export interface CaseRow {
  id: string;
  ref: string;
  inbound_message_id: string | null;
  received_at: Date;
  due_at: Date;
  due_date: string;
  extended_due_at: Date | null;
  extension_reason: string | null;
  state: string;
  language: string;
  subject_email: string;
  subject_contact_id: string | null;
  sender_on_file: boolean;
  dmarc: string | null;
  identity: string;
  verified_at: Date | null;
  closed_at: Date | null;
}

export interface RightRow {
  id: string;
  case_id: string;
  right: CaseRight;
  state: string;
  task_id: string | null;
  detail: Record<string, unknown> | null;
  outcome: Record<string, unknown> | null;
  reason: string | null;
}

export type AuditActor = { kind: 'system' | 'slack' | 'cli' | 'subject'; id: string; name: string };

/** Mailroom itself, in the audit trail. */
export const SYSTEM_ACTOR: AuditActor = { kind: 'system', id: 'mailroom', name: 'Mailroom' };

const caseOf = (row: CaseRow): CaseRow => ({ ...row, id: String(row.id) });

export async function audit(em: EntityManager, caseId: string, actor: AuditActor, action: string, detail: Record<string, unknown> | null = null, rightId: string | null = null): Promise<void> {
  await sqlOf(em)(`insert into privacy_audit (case_id, right_id, actor_kind, actor_id, actor_name, action, detail) values (?, ?, ?, ?, ?, ?, ?)`, [
    caseId, rightId, actor.kind, actor.id, actor.name, action, detail ? JSON.stringify(detail) : null,
  ]);
}

export async function findCase(em: EntityManager, ref: { id?: string; ref?: string }): Promise<CaseRow | null> {
  const sql = sqlOf(em);
  const rows = ref.id ? await sql<CaseRow>(`select * from privacy_case where id = ?`, [ref.id]) : await sql<CaseRow>(`select * from privacy_case where upper(ref) = upper(?)`, [ref.ref]);
  return rows[0] ? caseOf(rows[0]) : null;
}

export async function rightsOf(em: EntityManager, caseId: string): Promise<RightRow[]> {
  const rows = await sqlOf(em)<RightRow>(`select * from privacy_right where case_id = ? order by id`, [caseId]);
  return rows.map((r) => ({ ...r, id: String(r.id), case_id: String(r.case_id) }));
}

/** The ref of the case filed from this inbound message, if one was. */
export async function caseRefOfMessage(em: EntityManager, inboundMessageId: string): Promise<string | undefined> {
  const [row] = await sqlOf(em)<{ ref: string }>(`select ref from privacy_case where inbound_message_id = ?`, [inboundMessageId]);
  return row?.ref;
}

/** The next number of the PRV- sequence. */
export async function nextCaseNumber(em: EntityManager): Promise<string> {
  const [{ n }] = (await sqlOf(em)<{ n: string }>(`select nextval('privacy_number_seq') as n`)) as [{ n: string }];
  return n;
}

export interface NewCase {
  ref: string;
  inboundMessageId: string;
  receivedAt: Date;
  dueAt: Date;
  dueDate: string;
  state: string;
  language: string;
  subjectEmail: string;
  subjectContactId: string | null;
  senderOnFile: boolean;
  dmarc: string;
  identity: string;
  verifiedAt: Date | null;
}

export async function insertCase(em: EntityManager, c: NewCase): Promise<CaseRow> {
  const [row] = await sqlOf(em)<CaseRow>(
    `insert into privacy_case (ref, inbound_message_id, received_at, due_at, due_date, state, language, subject_email, subject_contact_id, sender_on_file, dmarc, identity, verified_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning *`,
    [c.ref, c.inboundMessageId, c.receivedAt, c.dueAt, c.dueDate, c.state, c.language, c.subjectEmail, c.subjectContactId, c.senderOnFile, c.dmarc, c.identity, c.verifiedAt],
  );
  return caseOf(row!);
}

/** A right asked for on the case (once per right). */
export async function insertRight(em: EntityManager, caseId: string, right: CaseRight): Promise<void> {
  await sqlOf(em)(`insert into privacy_right (case_id, "right") values (?, ?) on conflict do nothing`, [caseId, right]);
}

/** The right is done, with what was done (its outcome). */
export async function completeRight(em: EntityManager, rightId: string, outcome: unknown): Promise<void> {
  await sqlOf(em)(`update privacy_right set state = 'completed', outcome = ?, updated_at = now() where id = ?`, [JSON.stringify(outcome), rightId]);
}

/** Moves the right to `state` ('executed', or 'completed' when the package was downloaded), leaving its outcome alone. */
export async function setRightState(em: EntityManager, rightId: string, state: 'executed' | 'completed'): Promise<void> {
  await sqlOf(em)(`update privacy_right set state = ?, updated_at = now() where id = ?`, [state, rightId]);
}

/** What approval would do (an erasure plan, the requested changes), kept on the right. */
export async function setRightDetail(em: EntityManager, rightId: string, detail: unknown): Promise<void> {
  await sqlOf(em)(`update privacy_right set detail = ? where id = ?`, [JSON.stringify(detail), rightId]);
}

/** The right waits for the approval task; the case is in progress (if it was verified or received). */
export async function awaitApproval(em: EntityManager, caseId: string, rightId: string, taskId: string): Promise<void> {
  const sql = sqlOf(em);
  await sql(`update privacy_right set state = 'pending_approval', task_id = ?, updated_at = now() where id = ?`, [taskId, rightId]);
  await sql(`update privacy_case set state = 'in_progress', updated_at = now() where id = ? and state in ('verified', 'received')`, [caseId]);
}

export async function denyRight(em: EntityManager, rightId: string | undefined, reason: string): Promise<void> {
  await sqlOf(em)(`update privacy_right set state = 'denied', reason = ?, updated_at = now() where id = ?`, [reason, rightId]);
}

/** Marks the person verified (once): the case row, or null when it already was. */
export async function markCaseVerified(em: EntityManager, caseId: string, at: Date): Promise<CaseRow | null> {
  const rows = await sqlOf(em)<CaseRow>(
    `update privacy_case set identity = 'verified', verified_at = ?, state = 'verified', updated_at = now() where id = ? and identity <> 'verified' returning *`,
    [at, caseId],
  );
  return rows[0] ? caseOf(rows[0]) : null;
}

/** Closes the case (once): its ref, or undefined when it was closed already. */
export async function closeCase(em: EntityManager, caseId: string, state: 'completed' | 'denied', at: Date): Promise<{ id: string; ref: string } | undefined> {
  const [row] = await sqlOf(em)<{ id: string; ref: string }>(`update privacy_case set state = ?, closed_at = ?, updated_at = now() where id = ? and closed_at is null returning id, ref`, [state, at, caseId]);
  return row;
}

export async function setCaseExtension(em: EntityManager, caseId: string, dueAt: Date, reason: string): Promise<void> {
  await sqlOf(em)(`update privacy_case set extended_due_at = ?, extension_reason = ?, updated_at = now() where id = ?`, [dueAt, reason, caseId]);
}

/** The name on file for the case's person and the request's Message-ID, From name and References. */
export async function caseLetterRow(
  em: EntityManager,
  caseId: string,
): Promise<{ contact_name: string | null; message_id: string | null; from_name: string | null; refs: unknown } | undefined> {
  const [row] = await sqlOf(em)<{ contact_name: string | null; message_id: string | null; from_name: string | null; refs: unknown }>(
    `select ct.name as contact_name, m.message_id, m.parsed->'from'->>'name' as from_name, m.parsed->'references' as refs
       from privacy_case p
       left join contact ct on ct.id = p.subject_contact_id
       left join inbound_message m on m.id = p.inbound_message_id
      where p.id = ?`,
    [caseId],
  );
  return row;
}

/** The parsed form of the request's inbound message (its text is read for the requested changes). */
export async function requestParsed(em: EntityManager, inboundMessageId: string): Promise<{ parsed: { text?: string } | null } | undefined> {
  const [row] = await sqlOf(em)<{ parsed: { text?: string } | null }>(`select parsed from inbound_message where id = ?`, [inboundMessageId]);
  return row;
}

/** Open cases with the day they are due (the extended date when there is one), oldest first. */
export async function openCaseDues(em: EntityManager): Promise<{ id: string; ref: string; due: Date }[]> {
  return sqlOf(em)<{ id: string; ref: string; due: Date }>(
    `select id, ref, coalesce(extended_due_at, due_at) as due from privacy_case where state not in ('completed', 'denied', 'cancelled') order by id`,
  );
}

/** The reminder marks already sent for a case. */
export async function remindersSent(em: EntityManager, caseId: string): Promise<string[]> {
  return (await sqlOf(em)<{ mark: string }>(`select mark from privacy_reminder where case_id = ?`, [caseId])).map((r) => r.mark);
}

/** Claims a reminder; false when it was sent already (the row's primary key makes it once across daemons). */
export async function claimReminder(em: EntityManager, caseId: string, mark: string, at: Date): Promise<boolean> {
  const claimed = await sqlOf(em)(`insert into privacy_reminder (case_id, mark, sent_at) values (?, ?, ?) on conflict do nothing returning case_id`, [caseId, mark, at]);
  return claimed.length > 0;
}
