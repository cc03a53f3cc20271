/**
 * Web contact forms: a robot (noreply@, skjema@, a form header or subject) sends the person's
 * `Label: value` lines. Detecting one gives the real requester (the Email field, else
 * Reply-To), their company, phone and dealer number, and the message field to classify.
 * Pure; see the README of this folder for what counts as a form.
 */
import { headerValues, type MessageFacts } from './message-facts.ts';
import { compileTerm, type CompiledTerm } from './terms.ts';
import { compileGlob, type RoutingConfig } from './routing-rules.ts';
import { normaliseAddress } from '../threading/normalise-address.ts';

export interface ContactFormData {
  name?: string;
  email: string;
  company?: string;
  phone?: string;
  dealerNumber?: string;
  message?: string;
}

/** A config's contact-form settings, compiled once (classify.ts caches them with the rest). */
export interface CompiledContactForm {
  from: RegExp[];
  subject: CompiledTerm[];
  headers: string[];
  dealerPatterns: RegExp[];
  fieldLabels: Map<string, keyof ContactFormData>;
}

export function compileContactForm(config: RoutingConfig): CompiledContactForm {
  const fieldLabels = new Map<string, keyof ContactFormData>();
  for (const [field, labels] of Object.entries(config.contactForm.fields) as [keyof ContactFormData, string[]][]) {
    for (const label of labels) fieldLabels.set(normaliseLabel(label), field);
  }
  return {
    from: config.contactForm.fromPatterns.map(compileGlob),
    subject: config.contactForm.subjectTerms.map((t) => compileTerm(t)),
    headers: config.contactForm.headers.map((h) => h.toLowerCase()),
    dealerPatterns: config.contactForm.dealerNumberPatterns.map((p) => new RegExp(p, 'iu')),
    fieldLabels,
  };
}

function normaliseLabel(label: string): string {
  return label.trim().toLowerCase().replace(/[.\s]+$/, '').replace(/\s+/g, ' ');
}

const EMAIL_SHAPE = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;

function parseFormFields(text: string, labels: Map<string, keyof ContactFormData>): Partial<ContactFormData> & { count: number } {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const out: Partial<ContactFormData> = {};
  let count = 0;
  const fieldOf = (line: string): { field: keyof ContactFormData; value: string } | undefined => {
    const m = /^\s*([\p{L}][\p{L}\p{N} ./-]{0,40}?)\s*[:：]\s*(.*)$/u.exec(line);
    if (!m) return undefined;
    const field = labels.get(normaliseLabel(m[1]));
    return field ? { field, value: m[2].trim() } : undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const hit = fieldOf(lines[i]);
    if (!hit || out[hit.field] !== undefined) continue;
    if (hit.field === 'message') {
      // The message runs over several lines until the next field or the form's footer.
      const parts = hit.value ? [hit.value] : [];
      let j = i + 1;
      for (; j < lines.length; j++) {
        if (/^-- ?$/.test(lines[j]) || fieldOf(lines[j])) break;
        parts.push(lines[j]);
      }
      const message = parts.join('\n').trim();
      if (message) out.message = message;
      i = j - 1;
      continue;
    }
    if (!hit.value) continue;
    out[hit.field] = hit.value;
    count++;
  }
  return { ...out, count };
}

/** The contact form of a message, if it is one (the reason is added to `reasons`). */
export function detectContactForm(
  facts: MessageFacts,
  text: string,
  cc: CompiledContactForm,
  config: RoutingConfig,
  reasons: string[],
): ContactFormData | undefined {
  if (!config.contactForm.enabled) return undefined;
  const from = normaliseAddress(facts.from.address);
  const robotFrom = cc.from.some((re) => re.test(from));
  const header = cc.headers.find((h) => headerValues(facts, h).length > 0);
  const subject = cc.subject.some((t) => t.test(facts.subject));
  if (!robotFrom && !header && !subject) return undefined;

  const fields = parseFormFields(text, cc.fieldLabels);
  if (fields.count < config.contactForm.minFields) return undefined;

  const fieldEmail = fields.email && EMAIL_SHAPE.test(normaliseAddress(fields.email)) ? normaliseAddress(fields.email) : undefined;
  const replyTo = facts.replyTo.map((a) => normaliseAddress(a.address)).find((a) => a && a !== from);
  const email = fieldEmail ?? replyTo;
  if (!email) return undefined;
  if (fieldEmail && replyTo && fieldEmail !== replyTo) {
    reasons.push(`contact form: Email field ${fieldEmail} differs from Reply-To ${replyTo}; using the field`);
  }

  let dealerNumber = fields.dealerNumber ? /\d{2,8}/.exec(fields.dealerNumber)?.[0] : undefined;
  if (!dealerNumber) {
    for (const re of cc.dealerPatterns) {
      const m = re.exec(facts.subject) ?? re.exec(text);
      if (m?.[1]) {
        dealerNumber = m[1];
        break;
      }
    }
  }
  const replyToName = facts.replyTo.find((a) => normaliseAddress(a.address) === email)?.name;
  const form: ContactFormData = { email };
  const name = fields.name ?? replyToName;
  if (name) form.name = name;
  if (fields.company) form.company = fields.company;
  if (fields.phone) form.phone = fields.phone;
  if (dealerNumber) form.dealerNumber = dealerNumber;
  if (fields.message) form.message = fields.message;
  const why = [robotFrom && `From ${from} is a form robot`, header && `header ${header}`, subject && 'subject names a form']
    .filter(Boolean)
    .join(', ');
  reasons.push(`contact form detected (${why}; ${fields.count} fields); requester ${email}`);
  return form;
}
