import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadBehaviour, loadEnv } from '../../config/load-config.ts';
import { withDatabase } from '../context.ts';
import { printRecords } from '../output.ts';
import { evaluate, formatMisses, formatReport } from '../../classify/evaluation.ts';
import { classifyRaw, EvaluationSetError, loadEvaluationSet, runEvaluation } from '../../classify/evaluation-set.ts';
import { parseStage } from '../../ingest/parse-stage.ts';
import { classify } from '../../handlers/file-message.ts';
import { factsOf } from '../../classify/message-facts.ts';
import { filingDepsFromConfig } from '../../app/filing-setup.ts';
import { listCorrections } from '../../records/correction-store.ts';
import { limitOption } from '../options.ts';
import { describe } from '../command-index.ts';
import { domainOf } from '../../threading/normalise-address.ts';
import { resolveSenders, senderAddresses } from '../../mail/senders.ts';

/** Routing and our own domains from the behaviour file, without the database or secrets. */
function classifySettings() {
  const env = loadEnv();
  const behaviour = loadBehaviour(env.MAILROOM_CONFIG);
  const mailDomain = domainOf(env.MAIL_FROM.address) ?? '';
  const senderDomains = senderAddresses(resolveSenders(env.MAIL_FROM, behaviour.mail)).flatMap((a) => domainOf(a) ?? []);
  return {
    routing: behaviour.routing,
    parse: { ownDomains: [...new Set([...behaviour.organisation.ownDomains, ...senderDomains])], messageIdDomain: behaviour.mail.messageIdDomain ?? mailDomain },
  };
}

function fail(message: string): void {
  process.stderr.write(`mailroom: ${message}\n`);
  process.exitCode = 1;
}

function readMessage(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (e) {
    fail(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

/** `classify explain|eval|corrections`: why mail goes where it goes, how well, and what staff corrected. */
export function registerClassifyCommands(program: Command): void {
  const cmd = program.command('classify').description(describe('classify'));

  cmd
    .command('explain <file.eml>')
    .description('route, scores, matched rules and language of one message, without filing it (looks the sender up unless --first-contact)')
    .option('--first-contact', 'classify as mail from an unknown sender, without the database')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { firstContact?: boolean; json?: boolean }) => {
      const raw = readMessage(file);
      if (!raw) return;
      const settings = classifySettings();
      let result;
      if (o.firstContact) {
        result = await classifyRaw(raw, settings.routing, settings.parse);
      } else {
        result = await withDatabase(async ({ db, config }) => {
          const { stored } = await parseStage(raw, settings.parse);
          if (stored.automated.kind !== 'human') return { automated: stored.automated.kind };
          return { classification: await classify(db.orm.em.fork(), factsOf(stored), filingDepsFromConfig(config)) };
        });
      }
      const c = result.classification;
      const out = c
        ? { route: c.route, language: c.language, scores: c.scores, privacyRights: c.privacyRights ?? [], requester: c.requester.address, contactForm: c.contactForm ?? null, reasons: c.reasons }
        : { route: 'none', automated: result.automated, reasons: [`recognised as automated mail (${result.automated}): recorded, never classified or answered`] };
      if (o.json) {
        process.stdout.write(JSON.stringify(out, null, 2) + '\n');
        return;
      }
      const lines = [`route:     ${out.route}`];
      if (c) {
        lines.push(`language:  ${c.language}`, `requester: ${c.requester.address}`, `scores:    ${Object.entries(c.scores).map(([q, s]) => `${q} ${s}`).join(', ')}`);
        if (c.privacyRights?.length) lines.push(`rights:    ${c.privacyRights.join(', ')}`);
      }
      lines.push('reasons:', ...out.reasons.map((r) => `  ${r}`));
      process.stdout.write(lines.join('\n') + '\n');
    });

  cmd
    .command('eval <dir>')
    .description('classify labelled mail (YAML lists, corrections JSONL, <label>/*.eml) and print precision, recall and the confusion matrix')
    .option('--misses', 'also print each misrouted mail with its reasons (for tuning on a training set only)')
    .option('--json', 'print the figures as JSON')
    .action(async (dir: string, o: { misses?: boolean; json?: boolean }) => {
      const settings = classifySettings();
      let set;
      try {
        set = await loadEvaluationSet(dir);
      } catch (e) {
        if (e instanceof EvaluationSetError) return fail(e.message);
        throw e;
      }
      if (set.length === 0) return fail(`${dir}: no labelled mail found (*.yaml, *.jsonl, <label>/*.eml)`);
      const report = evaluate(await runEvaluation(set, settings.routing, settings.parse));
      if (o.json) {
        const { misses, ...figures } = report;
        process.stdout.write(JSON.stringify(o.misses ? report : { ...figures, misses: misses.map((m) => m.id) }, null, 2) + '\n');
        return;
      }
      process.stdout.write(formatReport(report, dir) + '\n');
      if (o.misses && report.misses.length) process.stdout.write('\n' + formatMisses(report) + '\n');
    });

  cmd
    .command('corrections')
    .description('routes staff decided or corrected (triage resolved, records reclassified), as labelled examples')
    .option('--json', 'print a JSON array')
    .option('--jsonl', 'print one JSON object a line (save as *.jsonl for `classify eval`)')
    .addOption(limitOption(1000, 'at most this many, newest first'))
    .action(async (o: { json?: boolean; jsonl?: boolean; limit: number }) => {
      await withDatabase(async ({ db }) => {
        const rows = await listCorrections(db.orm.em.fork(), { limit: o.limit });
        if (o.jsonl) {
          for (const r of rows) process.stdout.write(JSON.stringify(r) + '\n');
          return;
        }
        printRecords(rows as unknown as Record<string, unknown>[], { json: o.json, columns: ['id', 'at', 'by', 'originalRoute', 'correctedRoute', 'recordRef', 'from', 'subject'] });
      });
    });
}
