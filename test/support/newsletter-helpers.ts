import { newsletterConfigSchema, type NewsletterConfig } from '../../src/newsletter/config-schema.ts';
import type { NewsletterDeps } from '../../src/newsletter/deps.ts';
import { TemplateRenderer } from '../../src/templates/render-template.ts';
import { HttpServer } from '../../src/http/http-server.ts';
import { silentLogger } from '../../src/logging/logger.ts';
import { mountNewsletterRoutes } from '../../src/newsletter/routes.ts';
import type { Orm } from '../../src/db/orm.ts';
import { ensureLists } from '../../src/newsletter/subscribers.ts';
import { sqlOf } from '../../src/db/sql.ts';

export const NL_SECRET = 'test-secret-0123456789abcdef';

export function testNewsletterConfig(over: Partial<NewsletterConfig> = {}): NewsletterConfig {
  return { ...newsletterConfigSchema.parse({}), ratePerSecond: 0, perDomainPerSecond: 0, backoffBaseMs: 50, backoffMaxMs: 1000, ...over };
}

export function testNewsletterDeps(publicUrl: string, over: Partial<NewsletterConfig> = {}): NewsletterDeps {
  return {
    secret: NL_SECRET,
    publicUrl,
    mailFrom: 'post@infracomfort.example',
    fromName: 'InfraComfort',
    orgName: 'InfraComfort AS',
    messageIdDomain: 'infracomfort.example',
    config: testNewsletterConfig(over),
    templates: new TemplateRenderer(),
    slack: { channels: { support: '#support', sales: '#sales', triage: '#triage', privacy: '#privacy', alerts: '#alerts' }, postToSlack: false },
  };
}

/** An HTTP server with only the health routes and the newsletter's, on a free loopback port. */
export async function startNewsletterHttp(orm: Orm, over: Partial<NewsletterConfig> = {}, onCommitted?: () => void) {
  const http = new HttpServer({ port: 0, host: '127.0.0.1', log: silentLogger, readiness: [], metricsText: async () => ({ contentType: 'text/plain', body: '' }) });
  const holder: { deps?: NewsletterDeps } = {};
  // The public URL is known once the port is; routes read deps lazily through the same object.
  const deps = testNewsletterDeps('http://127.0.0.1:0', over);
  holder.deps = deps;
  mountNewsletterRoutes((m, p, h) => http.route(m, p, h), { orm, deps, log: silentLogger, onCommitted });
  const port = await http.listen();
  deps.publicUrl = `http://127.0.0.1:${port}`;
  return { http, port, base: deps.publicUrl, deps, close: () => http.close() };
}

export async function seedList(orm: Orm, slug = 'nyhetsbrev'): Promise<string> {
  await orm.em.fork().transactional((em) => ensureLists(em, [{ slug, nb: slug === 'nyhetsbrev' ? 'Nyhetsbrev' : `Liste ${slug}`, en: slug === 'nyhetsbrev' ? 'Newsletter' : `List ${slug}` }]));
  const [row] = await sqlOf(orm.em.fork())<{ id: string }>(`select id::text from newsletter_list where slug = ?`, [slug]);
  return row!.id;
}

export const CAMPAIGN_HTML = `<html><head><style>h1{color:#0b5cad} p{font-size:15px}</style></head><body>
<h1>Nyheter fra InfraComfort</h1>
<p>Hei {{first_name}}!</p>
<p>Les om <a href="https://www.infracomfort.example/nyheter?id=1&amp;src=nl">høstens nyheter</a> og <a href="https://www.infracomfort.example/kurs">kursene våre</a>.</p>
</body></html>`;
