/**
 * The letters of a privacy case: every email goes to the case's `subject_email` (the address on
 * file), in the case's language, threaded under the request; and the words they use for rights
 * and fields.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { enqueueEmail, newMessageId } from '../outbox/enqueue-store.ts';
import type { TemplateLanguage } from '../templates/render-template.ts';
import { formatDay } from '../templates/human-date.ts';
import { formatMailbox } from '../mail/address.ts';
import { erasureLetter } from './letter-categories.ts';
import { osloDate } from './due-date.ts';
import type { CaseRight } from './recognise.ts';
import type { ErasurePlan } from './erasure.ts';
import { audit, caseLetterRow, SYSTEM_ACTOR, type CaseRow } from './case-store.ts';
import type { PrivacyDeps } from './privacy-deps.ts';

export function lang(c: Pick<CaseRow, 'language'>): TemplateLanguage {
  return c.language === 'en' ? 'en' : c.language === 'nn' ? 'nn' : 'nb';
}

/**
 * What every letter of a case needs besides its own content: the name to greet (on file, else
 * as the request was signed) and the request's place in its thread, so answers sit under it.
 */
async function letterContext(em: EntityManager, c: CaseRow): Promise<{ name: string | null; inReplyTo?: string; references?: string[] }> {
  const row = await caseLetterRow(em, c.id);
  const name = (row?.contact_name ?? '').trim() || (row?.from_name ?? '').trim() || null;
  const messageId = row?.message_id?.trim();
  if (!messageId) return { name };
  const earlier = Array.isArray(row!.refs) ? (row!.refs as unknown[]).filter((r): r is string => typeof r === 'string' && r.length > 0) : [];
  return { name, inReplyTo: messageId, references: [...earlier.filter((r) => r !== messageId), messageId] };
}

/** Every outgoing privacy email: to the address on file, and to nobody else. */
export async function sendToSubject(em: EntityManager, c: CaseRow, template: string, vars: Record<string, unknown>, deps: PrivacyDeps, dedupe: string): Promise<void> {
  const letter = await letterContext(em, c);
  const rendered = deps.templates.render(template, lang(c), { ref: c.ref, dueDate: formatDay(effectiveDueDate(c), lang(c)), orgName: deps.orgName, name: letter.name, ...vars });
  await enqueueEmail(
    em,
    {
      from: formatMailbox({ name: deps.fromName, address: deps.mailFrom }),
      ...(deps.replyTo ? { replyTo: deps.replyTo } : {}),
      to: [c.subject_email],
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      messageId: newMessageId(deps.messageIdDomain),
      ...(letter.inReplyTo ? { inReplyTo: letter.inReplyTo, references: letter.references } : {}),
      headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All', 'X-Mailroom-Id': c.ref },
    },
    { dedupeKey: `privacy:${c.ref}:${dedupe}` },
  );
  await audit(em, c.id, SYSTEM_ACTOR, 'email-queued', { template });
}

export function effectiveDueDate(c: Pick<CaseRow, 'due_date' | 'extended_due_at'>): string {
  return c.extended_due_at ? osloDate(new Date(c.extended_due_at)) : c.due_date;
}

export function rightLabel(r: CaseRight, l: TemplateLanguage): string {
  const nb: Record<CaseRight, string> = {
    access: 'innsyn',
    rectification: 'retting',
    completion: 'supplering',
    erasure: 'sletting',
    objection: 'reservasjon mot markedsføring',
    unsubscribe: 'avmelding',
    'do-not-track': 'DO NOT TRACK',
    unspecified: 'uspesifisert henvendelse',
  };
  const nn: Record<CaseRight, string> = {
    access: 'innsyn',
    rectification: 'retting',
    completion: 'supplering',
    erasure: 'sletting',
    objection: 'reservasjon mot marknadsføring',
    unsubscribe: 'avmelding',
    'do-not-track': 'DO NOT TRACK',
    unspecified: 'uspesifisert førespurnad',
  };
  const en: Record<CaseRight, string> = {
    access: 'access',
    rectification: 'rectification',
    completion: 'completion',
    erasure: 'erasure',
    objection: 'objection to marketing',
    unsubscribe: 'unsubscribe',
    'do-not-track': 'DO NOT TRACK',
    unspecified: 'unspecified request',
  };
  return (l === 'en' ? en : l === 'nn' ? nn : nb)[r];
}

export function fieldLabel(f: string, l: TemplateLanguage): string {
  const nb: Record<string, string> = { phone: 'telefon/mobil', email: 'e-post', name: 'navn', title: 'stilling' };
  const nn: Record<string, string> = { phone: 'telefon/mobil', email: 'e-post', name: 'namn', title: 'stilling' };
  const en: Record<string, string> = { phone: 'phone/mobile', email: 'email', name: 'name', title: 'title' };
  return (l === 'en' ? en : l === 'nn' ? nn : nb)[f] ?? f;
}

/** The erasure confirmation's lists, by the privacy statement's categories in the letter's language (letter-categories.ts). */
export function erasureVars(plan: ErasurePlan, l: TemplateLanguage) {
  return erasureLetter(plan, l);
}

