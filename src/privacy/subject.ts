/**
 * The person a privacy request is about, as keys into every system (the coverage registry's
 * named placeholders :contacts, :emails, … are bound from them: `bindNamed`, coverage-store.ts).
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { caseIdsOfSubject, contactsWithEmail } from './subject-store.ts';
import { normaliseAddress } from '../threading/normalise-address.ts';

export interface SubjectKeys {
  contacts: string[];
  emails: string[];
  cases: string[];
}

export { bindNamed, type BindValues } from './coverage-store.ts';

/** Every key of the person behind an address on file: contact ids, addresses, privacy cases. */
export async function subjectKeys(em: EntityManager, email: string): Promise<SubjectKeys> {
  const address = normaliseAddress(email);
  const contacts = (await contactsWithEmail(em, address)).map((r) => String(r.id));
  const cases = await caseIdsOfSubject(em, address);
  return { contacts, emails: [address], cases };
}
