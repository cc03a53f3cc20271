import type { MailroomModule } from './module.ts';
import { privacyModule } from '../privacy/module.ts';
import { newsletterModule } from '../newsletter/module.ts';
import { noticesModule } from '../notices/module.ts';
import { tasksModule } from '../tasks/module.ts';

/**
 * The domain modules, in the order the daemon starts them: privacy first (its actions and
 * routes), the newsletter (its campaign sender joins the queue worker before the outbox
 * dispatcher starts), notices, and tasks last (expiry needs every module's actions).
 * The CRM (contacts, organisations, tickets, leads) is filed by the mail path itself
 * (handlers/ and records/) and needs no start; its tables are privacy's core coverage.
 */
export const MODULES: readonly MailroomModule[] = [privacyModule, newsletterModule, noticesModule, tasksModule];
