import { defineEntity, p } from '@mikro-orm/core';

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
    orderNumber: p.text(),
    orderDate: p.date(),
    buyerName: p.text().nullable(),
    buyerEmail: p.text().nullable(),
    buyerContactId: p.bigint('string').nullable(),
    buyerOrganisationId: p.bigint('string').nullable(),
    deliveryAddress: p.text().nullable(),
    currency: p.text().nullable(),
    lines: p.json<OrderLine[]>().default([]),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
});

/** A user of the customer portal. Never a password or hash: the portal keeps those. */
export const PortalUser = defineEntity({
  name: 'PortalUser',
  tableName: 'portal_user',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    username: p.text(),
    name: p.text().nullable(),
    email: p.text().nullable(),
    mobile: p.text().nullable(),
    superuser: p.boolean().default(false),
    contactId: p.bigint('string').nullable(),
    organisationId: p.bigint('string').nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
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
    contactId: p.bigint('string').nullable(),
    organisationId: p.bigint('string').nullable(),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
});

export const companyRecordEntities = [CustomerOrder, PortalUser, ProjectParticipant];
