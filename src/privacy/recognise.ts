/**
 * Which rights one request asks for. The classifier (config rules) already gives most; this
 * adds wordings it leaves to the handler (completion/supplering, DO NOT TRACK, unsubscribe in
 * a privacy mail) so each right in one email is tracked on its own. Pure.
 */
import { PRIVACY_RIGHTS, type PrivacyRight } from '../classify/routing-rules.ts';

export type CaseRight = PrivacyRight | 'unspecified';

const EXTRA: { right: PrivacyRight; re: RegExp }[] = [
  { right: 'access', re: /\b(innsyn|kopi av (?:mine )?(?:person)?opplysninger|right of access|subject access request|data export|dataportabilitet|data portability)\b/iu },
  { right: 'completion', re: /\b(supplere|supplering|suppler|ufullstendig(?:e)?|complete my (?:data|record)|incomplete)\b/iu },
  { right: 'rectification', re: /\b(rett(?:e|ing)|korriger(?:e|ing)?|rectif(?:y|ication)|correct (?:my|the) (?:data|details|number|name))\b/iu },
  { right: 'erasure', re: /\b(slett(?:e|ing|et)?|slette alle|erase|erasure|delete (?:my|all)|right to be forgotten)\b/iu },
  { right: 'objection', re: /\b(reserver(?:e|ing|asjon)|protester(?:e)? mot (?:markedsføring|marknadsføring)|object(?:ion)? to (?:direct )?marketing|no more marketing)\b/iu },
  { right: 'unsubscribe', re: /\b(meld(?:e)? meg av|avmeld(?:ing)?|unsubscribe)\b/iu },
  { right: 'do-not-track', re: /\b(do[ -]not[ -]track|dnt|ikke spor(?:e|ing)?|ikkje spor|stop tracking|no tracking)\b/iu },
];

export function recogniseRights(text: string, fromClassifier: readonly PrivacyRight[]): CaseRight[] {
  const found = new Set<PrivacyRight>(fromClassifier);
  const sample = text.slice(0, 20_000);
  for (const { right, re } of EXTRA) if (re.test(sample)) found.add(right);
  const ordered = PRIVACY_RIGHTS.filter((r) => found.has(r));
  return ordered.length ? ordered : ['unspecified'];
}
