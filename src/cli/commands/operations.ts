import type { Command } from 'commander';
import { loadBehaviour, loadConfig, loadEnv, ConfigError } from '../../config/load-config.ts';
import { fail } from '../../doctor/check.ts';
import { doctorChecks } from '../../doctor/doctor.ts';
import { failed, formatResults, runChecks } from '../../doctor/runner.ts';
import { ManifestError, renderManifest, slackAppManifest } from '../../slack/app-manifest.ts';

/** `mailroom doctor` and `mailroom slack manifest`: what an operator runs before going live. */
export function registerOperationsCommands(program: Command): void {
  program
    .command('doctor')
    .description('check the configuration against the real servers (database, IMAP, SMTP, Slack, PUBLIC_URL, clocks) without filing, sending or migrating anything')
    .option('--json', 'print an array of {check, status, detail}')
    .option('--timeout <seconds>', 'longest wait for each server', '15')
    .action(async (opts: { json?: boolean; timeout: string }) => {
      const timeoutMs = Math.max(1, Number(opts.timeout) || 15) * 1000;
      let results;
      try {
        results = await runChecks(doctorChecks(loadConfig(), { timeoutMs }), { timeoutMs });
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        results = [fail('config', `${e.message} (fix it, then run doctor again)`)];
      }
      process.stdout.write(opts.json ? JSON.stringify(results, null, 2) + '\n' : formatResults(results));
      process.exitCode = failed(results) ? 1 : 0;
    });

  program
    .command('slack')
    .description('Slack app set-up')
    .command('manifest')
    .description('print the Slack app manifest (scopes, /mailroom command, interactivity URL from PUBLIC_URL) to paste into "Create an app → From a manifest"')
    .option('--socket-mode', 'Socket Mode (no public URL; also chosen when SLACK_APP_TOKEN is set)')
    .option('--json', 'JSON instead of YAML (for the apps.manifest.create API)')
    .option('--name <name>', 'the app\'s name in Slack', 'Mailroom')
    .action((opts: { socketMode?: boolean; json?: boolean; name: string }) => {
      // Only the environment and behaviour file: printing a manifest must not create data/secret.key.
      const env = loadEnv();
      loadBehaviour(env.MAILROOM_CONFIG);
      const socketMode = !!opts.socketMode || !!env.SLACK_APP_TOKEN;
      let manifest;
      try {
        manifest = slackAppManifest({ publicUrl: env.PUBLIC_URL, socketMode, name: opts.name });
      } catch (e) {
        if (!(e instanceof ManifestError)) throw e;
        process.stderr.write(`mailroom: ${e.message}\n`);
        process.exit(2);
      }
      process.stdout.write(renderManifest(manifest, opts.json ? 'json' : 'yaml'));
      if (socketMode) process.stderr.write('Socket Mode: after creating the app, make an app-level token with connections:write (Basic Information) and set SLACK_APP_TOKEN.\n');
      else if (!env.PUBLIC_URL!.startsWith('https:')) process.stderr.write('warning: PUBLIC_URL is not https; Slack accepts only https request URLs.\n');
    });
}
