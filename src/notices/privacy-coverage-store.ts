import type { CoverageEntry } from '../privacy/coverage.ts';

/**
 * Operations notices in the privacy coverage registry (src/privacy/coverage.ts): SQL over the
 * notices' tables that privacy runs for access packages and erasures (hence a store file).
 *
 * The ops-notice list itself is the role 'ops-notice-contact' on contact rows (the seed's
 * "list of responsible contacts, name and email"); erasing a person takes them off every list
 * (the role is removed first, whatever the CRM policy then does with the contact) and deletes
 * the record of which notices were sent to them. The notices themselves say nothing about
 * anyone: they are about services, written and approved by staff.
 */
export const noticesCoverage: CoverageEntry[] = [
  {
    entity: 'NoticeDelivery',
    table: 'notice_delivery',
    system: 'ops-notices',
    personal: true,
    match: `contact_id = any(:contacts) or email = any(:emails)`,
    columns: `id, notice_id, (select ref from notice n where n.id = notice_id) as notice, email, language, created_at`,
    erase: {
      action: 'delete',
      order: 20,
      sql: [
        `update contact set roles = array_remove(roles, 'ops-notice-contact'), updated_at = now() where id = any(:contacts) and 'ops-notice-contact' = any(roles)`,
        `delete from notice_delivery where contact_id = any(:contacts) or email = any(:emails)`,
      ],
    },
  },
  { entity: 'Notice', table: 'notice', system: 'ops-notices', personal: false, erase: { action: 'none' }, note: 'notices are about services; created/approved/cancelled by are staff' },
  { entity: 'NoticeStep', table: 'notice_step', system: 'ops-notices', personal: false, erase: { action: 'none' }, note: 'the schedule of a notice; requested_by is staff' },
  { entity: 'OrganisationService', table: 'organisation_service', system: 'ops-notices', personal: false, erase: { action: 'none' }, note: 'which services a company uses' },
  { entity: 'NoticeBroadcast', table: 'notice_broadcast', system: 'ops-notices', personal: false, erase: { action: 'none' }, note: 'when a recurring broadcast was first seen' },
];
