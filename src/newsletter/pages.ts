/**
 * The public pages: plain server-rendered HTML, no JavaScript, no cookies, nothing loaded from
 * anywhere else (CSS inline, no fonts, no images). Norwegian and English; readable from 320 px;
 * every control a real <button>/<input> with a <label>, with a visible focus ring.
 */
import type { ServerResponse } from 'node:http';
import type { Lang } from './deps.ts';
import { escapeHtml as esc } from '../http/escape-html.ts';

export const T = {
  nb: {
    subscribeTitle: 'Meld deg på nyhetsbrevet',
    subscribeIntro: 'Bare e-postadressen er påkrevd. Du får en e-post med en lenke for å bekrefte.',
    email: 'E-postadresse',
    name: 'Navn (valgfritt)',
    lists: 'Lister',
    subscribe: 'Meld meg på',
    checkInbox: 'Sjekk innboksen din',
    checkInboxText: 'Vi har sendt deg en e-post. Klikk lenken i den for å bekrefte påmeldingen.',
    alreadyConfirmed: 'Du er allerede påmeldt disse listene.',
    invalidEmail: 'Skriv inn en gyldig e-postadresse.',
    noLists: 'Velg minst én liste.',
    confirmTitle: 'Bekreft påmeldingen',
    confirmText: 'Trykk på knappen for å bekrefte at du vil motta nyhetsbrevet.',
    confirmButton: 'Bekreft påmeldingen',
    confirmedTitle: 'Påmeldingen er bekreftet',
    confirmedText: 'Takk! Du kan endre lister og sporing når som helst.',
    expired: 'Lenken er utløpt. Meld deg på igjen for å få en ny.',
    unsubTitle: 'Meld deg av nyhetsbrevet',
    unsubText: 'Trykk på knappen for å melde deg av alle listene våre.',
    unsubButton: 'Meld meg av',
    unsubDoneTitle: 'Du er meldt av',
    unsubDoneText: 'Du får ikke flere nyhetsbrev fra oss.',
    prefsTitle: 'Innstillinger for nyhetsbrev',
    prefsLists: 'Hvilke lister vil du motta?',
    dnt: 'IKKE SPOR MEG (DO NOT TRACK): ingen sporingspiksel og ingen omskrevne lenker i e-postene mine',
    language: 'Språk',
    save: 'Lagre',
    saved: 'Innstillingene er lagret.',
    prefsLink: 'Endre innstillinger',
    errorTitle: 'Lenken er ikke gyldig',
    errorText: 'Lenken er endret eller ufullstendig. Ingenting er endret. Bruk lenken fra e-posten slik den er.',
    privacy: 'Vi lagrer e-postadressen din, hvilke lister du har valgt, og når og hvordan du samtykket (IP-adresse forkortet, f.eks. 12.214.31.0).',
  },
  en: {
    subscribeTitle: 'Subscribe to the newsletter',
    subscribeIntro: 'Only your email address is required. We will email you a link to confirm.',
    email: 'Email address',
    name: 'Name (optional)',
    lists: 'Lists',
    subscribe: 'Subscribe',
    checkInbox: 'Check your inbox',
    checkInboxText: 'We have sent you an email. Follow the link in it to confirm your subscription.',
    alreadyConfirmed: 'You are already subscribed to these lists.',
    invalidEmail: 'Enter a valid email address.',
    noLists: 'Choose at least one list.',
    confirmTitle: 'Confirm your subscription',
    confirmText: 'Press the button to confirm that you want to receive the newsletter.',
    confirmButton: 'Confirm subscription',
    confirmedTitle: 'Subscription confirmed',
    confirmedText: 'Thank you! You can change lists and tracking at any time.',
    expired: 'This link has expired. Subscribe again to get a new one.',
    unsubTitle: 'Unsubscribe from the newsletter',
    unsubText: 'Press the button to unsubscribe from all our lists.',
    unsubButton: 'Unsubscribe',
    unsubDoneTitle: 'You are unsubscribed',
    unsubDoneText: 'You will not get any more newsletters from us.',
    prefsTitle: 'Newsletter preferences',
    prefsLists: 'Which lists do you want?',
    dnt: 'DO NOT TRACK: no tracking pixel and no rewritten links in my emails',
    language: 'Language',
    save: 'Save',
    saved: 'Your preferences are saved.',
    prefsLink: 'Change preferences',
    errorTitle: 'This link is not valid',
    errorText: 'The link was changed or is incomplete. Nothing has been changed. Use the link from the email as it is.',
    privacy: 'We store your email address, the lists you chose, and when and how you consented (IP address shortened, e.g. 12.214.31.0).',
  },
} as const;

export type Strings = { [K in keyof (typeof T)['nb']]: string };

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1a1a1a;background:#f4f5f7}
main{max-width:36rem;margin:0 auto;padding:1.25rem;background:#fff;min-height:100vh}
@media (min-width:40rem){main{margin:2rem auto;min-height:0;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.12);padding:2rem}}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=email],input[type=text],select{width:100%;font:inherit;padding:.6rem .7rem;border:1px solid #767676;border-radius:4px}
fieldset{border:1px solid #ccc;border-radius:4px;margin:1rem 0;padding:.5rem 1rem}
legend{font-weight:600;padding:0 .25rem}
.check{display:flex;gap:.6rem;align-items:flex-start;font-weight:400;margin:.5rem 0}
.check input{width:1.25rem;height:1.25rem;margin-top:.15rem;flex:none}
button{font:inherit;font-weight:600;margin-top:1rem;padding:.75rem 1.25rem;border:0;border-radius:4px;background:#0b5cad;color:#fff;cursor:pointer;min-height:44px;width:100%}
@media (min-width:40rem){button{width:auto}}
a{color:#0b5cad}
:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
.note{color:#444;font-size:.9rem}
.msg{padding:.75rem 1rem;border-radius:4px;background:#e8f3e8;border:1px solid #9c9}
.err{background:#fdecea;border-color:#e0a0a0}
nav{font-size:.9rem;text-align:right}
`;

export function page(res: ServerResponse, status: number, lang: Lang, title: string, body: string, switchUrl?: string): void {
  const other: Lang = lang === 'nb' ? 'en' : 'nb';
  const html = `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${switchUrl ? `<nav><a href="${esc(switchUrl)}" lang="${other}">${other === 'en' ? 'English' : 'Norsk'}</a></nav>` : ''}
<h1>${esc(title)}</h1>
${body}
</main>
</body>
</html>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  });
  res.end(html);
}

export function errorPage(res: ServerResponse, lang: Lang, status = 400, text?: string): void {
  const t = T[lang];
  page(res, status, lang, t.errorTitle, `<p class="msg err" role="alert">${esc(text ?? t.errorText)}</p>`);
}
