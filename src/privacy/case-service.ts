/**
 * Privacy cases: from the filed email to the answer.
 *
 *   received ─▶ awaiting_verification (link to the address ON FILE) ─▶ verified ─▶ approval per
 *   right in Slack ─▶ executed ─▶ completed        (or denied with reasons; or needs_information
 *   when the sender is not on file: a neutral reply, nothing personal)
 *
 * Objection, unsubscribe and DO NOT TRACK take effect at once. Every step is audited with the
 * actor. Every email goes to the case's `subject_email` (the normalised address matched in our
 * records), never to Reply-To, a contact-form field or anything else in the request.
 */

// The case's parts, by job: intake (filing a request), approvals (verification, approval per
// right, extension, closing), letters (every email to the person), and the case's data access.
export { handlePrivacyRequest, isOnFile } from './case-intake.ts';
export { extendCase, markVerified, privacyActions, proposeApprovals, verifyWithToken } from './case-approvals.ts';
export { effectiveDueDate, erasureVars } from './case-letters.ts';
export { audit, findCase, rightsOf, type AuditActor, type CaseRow, type RightRow } from './case-store.ts';
export { consumeToken } from './tokens.ts';
export type { PrivacyDeps } from './privacy-deps.ts';

