import type { Command } from 'commander';

/**
 * The `mailroom` commands, each group loaded only when it runs: `mailroom tickets list` then
 * does not pull in the daemon, Slack, IMAP and the newsletter, and `mailroom --help` loads
 * none of them (it lists the names and descriptions from here). The groups take their
 * description from here too, so the two listings cannot drift apart.
 */
export interface CommandGroup {
  /** The top-level commands the group registers, with their one-line descriptions. */
  commands: Record<string, string>;
  /** Shown in the overview for a top-level command that is itself a leaf (`import <source>`). */
  usage?: Record<string, string>;
  register(program: Command): Promise<void>;
}

export const commandGroups: CommandGroup[] = [
  {
    commands: { import: 'store and file mail from a message file (.eml or any name), an mbox file, or a directory of them (recursive; files that are not mail are listed as skipped)' },
    usage: { import: '[options] <source>' },
    register: async (p) => (await import('./commands/import.ts')).registerImportCommands(p),
  },
  { commands: { messages: 'inbound messages and their state' }, register: async (p) => (await import('./commands/messages.ts')).registerMessageCommands(p) },
  {
    commands: { quarantine: 'messages set aside with a reason; they can be read and retried' },
    register: async (p) => (await import('./commands/quarantine.ts')).registerQuarantineCommands(p),
  },
  { commands: { tickets: 'support tickets' }, register: async (p) => (await import('./commands/tickets.ts')).registerTicketCommands(p) },
  {
    commands: { leads: 'CRM leads and enquiries', contacts: 'people: customers, leads, dealers', organisations: 'customers, partners, dealers and prospects' },
    register: async (p) => (await import('./commands/records.ts')).registerRecordCommands(p),
  },
  {
    commands: { triage: 'messages waiting for staff to decide where they belong' },
    register: async (p) => (await import('./commands/triage.ts')).registerTriageCommands(p),
  },
  {
    commands: { classify: 'why mail is routed where it is, how well routing does, and what staff corrected' },
    register: async (p) => (await import('./commands/classify.ts')).registerClassifyCommands(p),
  },
  {
    commands: { records: "records from the company's other systems" },
    register: async (p) => (await import('./commands/records-import.ts')).registerRecordsImportCommands(p),
  },
  {
    commands: { tasks: 'tasks for staff (the same ones posted to Slack)' },
    register: async (p) => {
      const [{ registerTaskCommands }, { ActionRegistry }, { registerNoticeAction }, { noticeDepsFromConfig }, { registerPrivacyActions }, { registerBroadcastAction }, { staffActions }, { filingDepsFromConfig }, { privacyDepsWithEffects }] =
        await Promise.all([
          import('./commands/tasks.ts'),
          import('../tasks/action-registry.ts'),
          import('../notices/notice-service.ts'),
          import('../notices/setup.ts'),
          import('../privacy/wire.ts'),
          import('../newsletter/campaigns.ts'),
          import('../app/staff-actions.ts'),
          import('../app/filing-setup.ts'),
          import('../app/privacy-setup.ts'),
        ]);
      registerTaskCommands(p, {
        // The same approval actions as the daemon registers, so a CLI approval runs the same code.
        services: (ctx) => {
          const actions = new ActionRegistry();
          registerNoticeAction(actions, { ...noticeDepsFromConfig(ctx.config, { log: ctx.log }), now: () => new Date() });
          registerPrivacyActions(actions, privacyDepsWithEffects(ctx.config));
          registerBroadcastAction(actions);
          return { ...staffActions(filingDepsFromConfig(ctx.config)), actions };
        },
      });
    },
  },
  {
    commands: { notices: 'operations notices (driftsmeldinger): maintenance, incidents, recurring broadcasts' },
    register: async (p) => (await import('./commands/notices.ts')).registerNoticeCommands(p),
  },
  {
    commands: { privacy: 'privacy requests (innsyn, retting, sletting, reservasjon)' },
    register: async (p) => (await import('./commands/privacy.ts')).registerPrivacyCommands(p),
  },
  { commands: { lists: 'newsletter lists' }, register: async (p) => (await import('./commands/lists.ts')).registerListsCommands(p) },
  { commands: { subscribers: 'newsletter subscribers' }, register: async (p) => (await import('./commands/subscribers.ts')).registerSubscribersCommands(p) },
  { commands: { campaigns: 'newsletter campaigns' }, register: async (p) => (await import('./commands/campaigns.ts')).registerCampaignsCommands(p) },
  {
    commands: { outbox: 'outgoing messages and their delivery state' },
    register: async (p) => (await import('./commands/outbox.ts')).registerOutboxCommands(p),
  },
  {
    commands: { doctor: 'check the configuration against the real servers, filing nothing', slack: 'Slack app set-up (the app manifest)' },
    register: async (p) => (await import('./commands/operations.ts')).registerOperationsCommands(p),
  },
];

/** The one-line description of a top-level command (for the group that registers it). */
export function describe(command: string): string {
  for (const g of commandGroups) if (g.commands[command]) return g.commands[command];
  throw new Error(`no top-level command ${command} in the command index`);
}
