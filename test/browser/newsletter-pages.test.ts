// Public newsletter pages in Debian's headless Chromium (playwright-core, no browser download):
// subscribe through the form, confirm from the email at the SMTP peer, change lists and switch on
// DO NOT TRACK, unsubscribe with the button. Screenshots at phone and desktop width go to
// .tmp/screenshots/. Skipped when /usr/bin/chromium is missing (.ci/run installs it).
import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { simpleParser } from 'mailparser';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { startSmtpPeer, type SmtpPeer } from '../support/smtp-peer.ts';
import { makeDispatcher } from '../support/outbox-helpers.ts';
import { seedList, startNewsletterHttp, NL_SECRET } from '../support/newsletter-helpers.ts';
import { SmtpDeliverer } from '../../src/outbox/transports/smtp-transport.ts';
import { findSubscriber, subscriptionsOf } from '../../src/newsletter/subscribers.ts';
import { signToken } from '../../src/newsletter/tokens.ts';
import type { OutboxDispatcher } from '../../src/outbox/dispatcher.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = '.tmp/screenshots';
const viewports = { phone: { width: 375, height: 740 }, desktop: { width: 1280, height: 860 } } as const;

let db: TestDatabase;
let peer: SmtpPeer;
let web: Awaited<ReturnType<typeof startNewsletterHttp>>;
let dispatcher: OutboxDispatcher;
let browser: Browser;
const foreign: string[] = [];

async function shoot(page: Page, name: string): Promise<void> {
  for (const [label, vp] of Object.entries(viewports)) {
    await page.setViewportSize(vp);
    await page.screenshot({ path: `${SHOTS}/newsletter-${name}-${label}.png`, fullPage: true });
    // Readable at phone width: nothing wider than the viewport.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${name} at ${label} width scrolls sideways`).toBeLessThanOrEqual(0);
  }
  await page.setViewportSize(viewports.phone);
}

describe.skipIf(!existsSync(CHROMIUM))('public newsletter pages in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    db = await createTestDatabase();
    peer = await startSmtpPeer();
    dispatcher = makeDispatcher(db.orm, { deliverers: { email: new SmtpDeliverer(peer.url, { poolSize: 1 }) }, workerId: 'mailroom-test:' + db.url.split('/').pop() });
    dispatcher.start();
    web = await startNewsletterHttp(db.orm, {}, () => dispatcher.wake());
    await seedList(db.orm, 'nyhetsbrev');
    await seedList(db.orm, 'produkt');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await dispatcher?.stop();
    await web?.close();
    await peer?.stop();
    await db?.drop();
  });

  it('subscribe, confirm from the email, preferences with DO NOT TRACK, unsubscribe with the button', async () => {
    const context = await browser.newContext({ viewport: viewports.phone, javaScriptEnabled: false });
    const page = await context.newPage();
    page.on('request', (r) => {
      if (!r.url().startsWith(web.base)) foreign.push(r.url());
    });

    // 1. Sign-up form, used with the keyboard only.
    await page.goto(`${web.base}/newsletter/subscribe?lang=nb`);
    expect(await page.getAttribute('html', 'lang')).toBe('nb');
    await shoot(page, '1-subscribe');
    await page.getByLabel('E-postadresse').focus();
    await page.keyboard.type('lise.lund@kunde.example');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Lise Lund');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space'); // first list: Nyhetsbrev
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter'); // the submit button
    await page.waitForSelector('text=Sjekk innboksen din');
    await shoot(page, '2-check-inbox');

    // 2. The confirmation email at the SMTP peer.
    const [mail] = await peer.waitFor(1, 15_000);
    const parsed = await simpleParser(mail!.raw);
    expect(mail!.envelope.to).toEqual(['lise.lund@kunde.example']);
    const confirmUrl = /(http:\/\/127\.0\.0\.1:\d+\/newsletter\/confirm\?\S+)/.exec(parsed.text ?? '')![1]!;
    await page.goto(confirmUrl);
    await shoot(page, '3-confirm');
    const sub = (await findSubscriber(db.orm.em.fork(), { email: 'lise.lund@kunde.example' }))!;
    expect((await subscriptionsOf(db.orm.em.fork(), sub.id)).map((s) => s.status)).toEqual(['pending']); // the GET changed nothing
    await page.getByRole('button', { name: 'Bekreft påmeldingen' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('text=Påmeldingen er bekreftet');
    await shoot(page, '4-confirmed');
    expect((await subscriptionsOf(db.orm.em.fork(), sub.id)).map((s) => s.status)).toEqual(['confirmed']);

    // 3. Preferences: a second list and DO NOT TRACK; then in English.
    await page.getByRole('link', { name: 'Endre innstillinger' }).click();
    await page.waitForSelector('text=Innstillinger for nyhetsbrev');
    await page.getByLabel('Liste produkt').check();
    await page.getByLabel(/IKKE SPOR MEG/).check();
    await shoot(page, '5-preferences');
    await page.getByRole('button', { name: 'Lagre' }).click();
    await page.waitForSelector('text=Innstillingene er lagret.');
    await shoot(page, '6-preferences-saved');
    const after = (await findSubscriber(db.orm.em.fork(), { id: sub.id }))!;
    expect(after.dnt).toBe(true);
    expect((await subscriptionsOf(db.orm.em.fork(), sub.id)).filter((s) => s.status === 'confirmed')).toHaveLength(2);
    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForSelector('text=Newsletter preferences');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await shoot(page, '7-preferences-en');

    // 4. Unsubscribe: the page only shows a button; the button unsubscribes.
    await page.goto(`${web.base}/newsletter/unsubscribe?t=${signToken(NL_SECRET, 'u', [sub.id])}&lang=nb`);
    await shoot(page, '8-unsubscribe');
    expect((await subscriptionsOf(db.orm.em.fork(), sub.id)).filter((s) => s.status === 'confirmed')).toHaveLength(2);
    await page.getByRole('button', { name: 'Meld meg av' }).click();
    await page.waitForSelector('text=Du er meldt av');
    await shoot(page, '9-unsubscribed');
    expect((await subscriptionsOf(db.orm.em.fork(), sub.id)).every((s) => s.status === 'unsubscribed')).toBe(true);

    // 5. A forged link: an error page.
    await page.goto(`${web.base}/newsletter/preferences?t=p.${sub.id}.AAAAAAAAAAAAAAAAAAAAAA&lang=nb`);
    await page.waitForSelector('text=Lenken er ikke gyldig');
    await shoot(page, '10-invalid-link');

    expect(foreign).toEqual([]);
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });
});
