import { defineEntity, p } from '@mikro-orm/core';
import { Contact, Organisation } from './crm.ts';
import { references } from './references.ts';

/** One line of an order, as imported (stored in customer_order.lines). */
export interface OrderLine {
  sku?: string;
  description?: string;
  quantity: number;
  unitPrice?: number;
}

/** An order from the company's order system; kept for accounting (5 years), then purgeable. */
export const CustomerOrder = defineEntity({
  name: 'CustomerOrder',
  tableName: 'customer_order',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    orderNumber: p.text().unique(),
    orderDate: p.date(),
    buyerName: p.text().nullable(),
    buyerEmail: p.text().nullable(),
    buyerContact: () => references(Contact).nullable(),
    buyerOrganisation: () => references(Organisation).nullable(),
    deliveryAddress: p.text().nullable(),
    currency: p.text().nullable(),
    lines: p.json<OrderLine[]>().default([]),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
  indexes: [
    { name: 'customer_order_buyer_contact_idx', properties: ['buyerContact'] },
    { name: 'customer_order_buyer_organisation_idx', properties: ['buyerOrganisation'] },
    { name: 'customer_order_buyer_email_idx', properties: ['buyerEmail'] },
    // Retention (orders older than 5 years may be purged on request) scans by date.
    { name: 'customer_order_date_idx', properties: ['orderDate'] },
  ],
});

/** A user of the customer portal. Never a password or hash: the portal keeps those. */
export const PortalUser = defineEntity({
  name: 'PortalUser',
  tableName: 'portal_user',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    username: p.text().unique(),
    name: p.text().nullable(),
    email: p.text().nullable(),
    mobile: p.text().nullable(),
    superuser: p.boolean().default(false),
    contact: () => references(Contact).nullable(),
    organisation: () => references(Organisation).nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
  indexes: [
    { name: 'portal_user_email_idx', properties: ['email'] },
    { name: 'portal_user_contact_idx', properties: ['contact'] },
  ],
});

/** A person taking part in a customer project (unique per project and address). */
export const ProjectParticipant = defineEntity({
  name: 'ProjectParticipant',
  tableName: 'project_participant',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    project: p.text(),
    email: p.text(),
    name: p.text().nullable(),
    role: p.text().nullable(),
    phone: p.text().nullable(),
    contact: () => references(Contact).nullable(),
    organisation: () => references(Organisation).nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
  uniques: [{ properties: ['project', 'email'] }],
  indexes: [
    { name: 'project_participant_email_idx', properties: ['email'] },
    { name: 'project_participant_contact_idx', properties: ['contact'] },
  ],
});

export const companyRecordEntities = [CustomerOrder, PortalUser, ProjectParticipant];
