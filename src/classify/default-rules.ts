/**
 * The keyword rules Mailroom ships (`routing.includeDefaultKeywords`). Terms are written in the
 * term syntax of terms.ts: plain words match by stem, `*` is a prefix, ` .. ` a gap of up to six
 * words within a sentence. Terms under `all` match exact words (no stemming).
 *
 * They describe how people write to a heating and building-technology company: faults and
 * questions (support), buying, quotes and projects (sales), the privacy rights of the privacy
 * statement, and the unsolicited mail every shared inbox gets (spam).
 *
 * Weight guide: 1 hint, 2 clear topic word, 3 strong topic word, 5 decisive phrase (enough on
 * its own for privacy.minScore). Privacy is scored from two kinds of evidence that add up: the
 * mail is about the writer's own data ("om meg", "my details", "navnet mitt") and what they
 * want done with it. Tuned against test/fixtures/classify-eval/train only.
 *
 * Longer than 400 lines because it is a word list, not logic.
 */
import type { KeywordRule } from './routing-rules.ts';

/** Details about a person that people ask to have corrected (stems cover navnet, adressa, …). */
const NO_DETAILS = ['navn', 'namn', 'etternavn', 'etternamn', 'fornavn', 'adresse', 'postadresse', 'e-postadresse', 'epostadresse', 'e-post', 'telefonnummer', 'mobilnummer', 'nummer', 'fødselsdato'];
/** The writer's data as a whole: what an action on it is about. */
const EN_OWN_DATA = ['my details', 'my data', 'my information', 'my info', 'my records', 'my entry', 'my contact details', 'my profile'];
const EN_DETAILS = ['name', 'surname', 'last name', 'address', 'email', 'email address', 'e-mail address', 'phone number', 'mobile number', 'number', 'date of birth'];

/**
 * `list` without the terms of `listed`: nb and nn terms share a stemmer, so a term listed
 * under both is compiled once anyway; listing it twice only makes the lists longer.
 */
function besides(list: string[], listed: string[]): string[] {
  const seen = new Set(listed);
  return list.filter((t) => !seen.has(t));
}

/** Every `a<sep>b` for a in `as`, b in `bs`. */
function pairs(as: string[], bs: string[], sep: string): string[] {
  return as.flatMap((a) => bs.map((b) => `${a}${sep}${b}`));
}

// "They have it" against "they want it": the same equipment words are support when the writer
// owns the thing (a possessive, when it went in, cancelling or being billed for it) and sales
// when they want one (a wish with a price, an offer or something new). Built from small word
// classes rather than sentences, so that phrasings nobody listed are still covered.
/** Equipment and agreements we deliver and look after (stems cover varmepumpa, anlegget). */
const NO_UNITS = ['varmepumpe', 'varmepumper', 'luft-til-luft-varmepumpe', 'anlegg', 'anlegget', 'varmeanlegg', 'ventilasjonsanlegg', 'ventilasjon', 'aggregat', 'ventilasjonsaggregat', 'styring', 'styringssystem', 'sentralen', 'fjernkontroll', 'termostat', 'innedel', 'utedel', 'pumpe', 'pumpa', 'serviceavtale', 'avtale', 'løsning'];
const EN_UNITS = ['heat pump', 'heat pumps', 'unit', 'units', 'system', 'systems', 'installation', 'ventilation', 'air handling unit', 'air-handling unit', 'air handling units', 'controller', 'thermostat', 'remote', 'indoor unit', 'outdoor unit', 'service agreement', 'maintenance contract', 'agreement', 'contract'];
const NO_OURS = ['vår', 'vårt', 'våre', 'min', 'mitt', 'mine', 'mi'];
const EN_OURS = ['our', 'my'];
/** Agreements one can cancel or be billed for. */
const NO_AGREEMENTS = ['avtale*', 'serviceavtale*', 'abonnement*', 'vedlikeholdsavtale*'];
const EN_AGREEMENTS = ['agreement', 'contract', 'subscription', 'service agreement', 'maintenance contract'];
const NO_BILLS = ['faktura*', 'årsfaktura*', 'fakturer*', 'fakturaen'];
const EN_BILLS = ['invoice*', 'billed', 'billing', 'charged'];
/** Wanting something: a wish verb … */
const NB_WANT = ['vil ha', 'vil gjerne ha', 'vil vi ha', 'vil vi gjerne ha', 'ønsker', 'ønsker oss', 'ønsker vi', 'trenger', 'trenger vi', 'ser etter', 'skal ha', 'skaffe oss'];
const NN_WANT = ['vil ha', 'vil gjerne ha', 'vil me ha', 'vil me gjerne ha', 'vil vi gjerne ha', 'ønskjer', 'ønskjer me', 'treng me', 'ynskjer', 'treng', 'ser etter', 'skal ha', 'skaffe oss'];
const EN_WANT = ["we'd like", 'we would like', "i'd like", 'i would like', 'we want', 'we are looking for', "we're looking for", 'looking for', 'we need', 'we will need'];
/** … and what is wanted: a budget figure, a price of something new, or something new. Offer words
 * of their own ("tilbud", "quote") count in sales.quote already: a wish for them adds nothing. */
/** … or an ask: "send oss et tilbud", "could we get a price". */
const NB_ASK = ['send oss', 'sende oss', 'gi oss', 'kan vi få', 'ber om', 'be om'];
const NN_ASK = ['send oss', 'sende oss', 'gje oss', 'kan vi få', 'ber om', 'be om'];
const EN_ASK = ['send us', 'send me', 'give us', 'can we get', 'could we get', 'could you provide', 'request'];
const NO_OFFER = ['prisindikasjon*', 'budsjett*', 'pris på ny', 'pris på en ny', 'pris på et nytt', 'pris på ei ny'];
const EN_OFFER = ['an offer', 'a budget*', 'a price', 'prices'];
const NO_NEW = ['en ny', 'ei ny', 'et nytt', 'ein ny', 'eit nytt', 'nytt anlegg', 'ny varmepumpe', 'nye varmepumper', ...['en', 'ei', 'et', 'ein', 'eit'].flatMap((a) => ['varmepumpe', 'anlegg', 'løsning', 'løysing', 'system', 'aggregat', 'styringssystem'].map((u) => `${a} ${u}`))];
const EN_NEW = ['a new', 'new', 'a heat pump', 'heat pumps', 'a system', 'a solution', 'this for'];

/** Bought, in the past, right before what was bought: "kjøpte varmepumpa", "bought a heat pump". */
const NO_BOUGHT = ['kjøpte', 'kjøpte en', 'kjøpte ei', 'kjøpte et', 'kjøpte ein', 'kjøpte eit', 'kjøpte ny', 'kjøpte nye', 'kjøpt'];
const EN_BOUGHT = ['bought', 'bought a', 'bought an', 'bought the', 'bought new', 'purchased', 'purchased a', 'purchased an', 'purchased the'];
const OURS_NB = [...pairs(NO_UNITS, NO_OURS, ' '), ...pairs(NO_OURS, NO_UNITS, ' '), 'dere installerte', 'dere monterte', 'dere leverte', 'installert i fjor', 'montert i fjor', 'installert i 20*', 'montert i 20*', 'kjøpt i 20*', 'installert for .. år siden', 'montert for .. år siden', ...pairs(['si opp', 'sier opp', 'oppsigelse av', 'avslutte'], NO_AGREEMENTS, ' .. ')];
const OURS_NN = besides([...pairs(NO_UNITS, NO_OURS, ' '), ...pairs(NO_OURS, NO_UNITS, ' '), 'de installerte', 'de monterte', 'de leverte', 'installert i fjor', 'montert i fjor', 'installert i 20*', 'montert i 20*', 'montert for .. år sidan', ...pairs(['seie opp', 'seier opp', 'oppseiing av', 'avslutte'], NO_AGREEMENTS, ' .. ')], OURS_NB);
const WANT_NB = [...pairs([...NB_WANT, ...NB_ASK], NO_OFFER, ' .. '), ...pairs(NB_WANT, NO_NEW, ' '), 'hva vil .. koste', 'hva ville .. koste'];
const WANT_NN = besides([...pairs([...NN_WANT, ...NN_ASK], NO_OFFER, ' .. '), ...pairs(NN_WANT, NO_NEW, ' '), 'kva vil .. koste', 'kva ville .. koste', 'kva kostar ei', 'kva kostar eit', 'kva kostar ein'], WANT_NB);

export const DEFAULT_KEYWORD_RULES: readonly KeywordRule[] = [
  // ======================================================================================
  // support
  // ======================================================================================
  {
    id: 'support.fault',
    queue: 'support',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['feil', 'feilmelding*', 'feilkode*', 'virker ikke', 'fungerer ikke', 'funker ikke', 'slutta å', 'sluttet å', 'stoppet', 'defekt', 'ødelagt', 'knust', 'problem*', 'lekker', 'lekkasje', 'drypper', 'renner', 'brent', 'svidd', 'kortslutning', 'smalt', 'alarm*', 'avvik', 'blinker', 'frakoblet', 'offline', 'trøbbel', 'anlegget står', 'står stille'],
      nn: ['verkar ikkje', 'fungerer ikkje', 'stoppa', 'øydelagd', 'øydelagt', 'lekkasje', 'renn', 'blinkar', 'fråkopla', 'svarar ikkje', 'reagerer ikkje', 'slokna', 'sløkte', 'feilkode*'],
      en: ['error*', 'fault*', 'not working', "doesn't work", 'does not work', "isn't working", 'stopped', 'broken', 'defect*', 'problem*', 'issue', 'issues', 'bug', 'bugs', 'malfunction*', 'outage', 'leak*', 'dripping', 'crash*', 'alarm*', 'not responding', "won't", 'timeout', 'offline', 'scorch*', 'bang', 'tripped'],
      all: ['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9', 'h6', 'p4', '401', '429', '500'],
    },
  },
  {
    id: 'support.symptom',
    queue: 'support',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['kaldt', 'kald luft', 'for varmt', 'blåser kaldt', 'lager .. lyd', 'ulyd', 'lyd', 'piper', 'lukter', 'lukt', 'ising', 'dekket av is', 'is på', 'ruser', 'slår seg av', 'går ikke av', 'ikke startet', 'starter ikke', 'varmer ikke', 'ingen varme', 'manglende varme', 'varmen .. borte', 'bare .. grader', 'grader inne', 'klager', 'ujevn', 'halv effekt', 'hopper', 'står .. på', 'nullstiller seg'],
      nn: ['kaldt', 'kald luft', 'isar', 'ise ned', 'durar', 'surrar', 'surre', 'luktar', 'smell', 'slår seg av', 'startar ikkje', 'berre .. grader', 'klagar', 'ujamn', 'kaldare', 'lunkne', 'forsvinn'],
      en: ['cold air', 'too warm', 'overheating', 'far too warm', 'noise', 'clicking', 'beep*', 'smell*', 'iced up', 'ice', 'switches .. off', "won't switch off", 'not coming on', 'no heat', 'barely warm', 'complaining', 'stuck at', 'keeps dropping', 'spinning wheel', 'empty', 'wiped'],
      all: ['varmar', 'varmer ikke', 'varmar ikkje'],
    },
  },
  {
    id: 'support.digital',
    queue: 'support',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['logg* inn', 'innlogging*', 'pålogging*', 'passord*', 'låst ute', 'appen', 'app', 'portalen', 'kundeportal*', 'dashboard*', 'wifi', 'trådløse', 'ruteren', 'gateway*', 'api', 'integrasjon*', 'webhook*', 'token', 'eksport*', 'tidsplan*', 'installasjonskode*', 'bruker i portalen', 'tilgang til portal*', 'lesetilgang', 'ny bruker', 'egen bruker'],
      nn: ['logga inn', 'kundesida', 'appen', 'portalen', 'ruteren', 'fjernstyr*', 'timeplan*', 'vekeprogram', 'tilgang til', 'brukaren'],
      en: ['log in', 'login', 'logon', 'sign in', 'password*', 'locked out', 'reset link', 'the app', 'app', 'portal', 'dashboard', 'wifi', 'wi-fi', 'router', 'pair', 'api', 'integration', 'webhook*', 'csv', 'export*', 'invite', 'read-only access', 'access to the portal', 'access to the app', 'schedule'],
    },
  },
  {
    id: 'support.admin',
    queue: 'support',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['kontaktperson*', 'driftsansvarl*', 'driftsleder', 'driftsvarsl*', 'varslingslist*', 'varsling*', 'varsel', 'vaktmester*'],
      nn: ['kontaktperson*', 'driftsansvarl*', 'varslingslist*', 'varsling*', 'vaktmeister*'],
      en: ['contact person', 'alarm notifications', 'notifications', 'alerts', 'caretaker', 'receives the'],
    },
  },
  {
    id: 'support.service-booking',
    queue: 'support',
    weight: 4,
    in: 'any',
    terms: {
      nb: ['bestille .. servicebesøk', 'bestille service', 'flytte .. besøk*', 'flytte .. servicebesøk*', 'utsette .. besøk*', 'utsette .. servicebesøk*', 'avlyse .. besøk*', 'ny dato for .. besøk*', 'dato for .. servicebesøk*', 'koste .. reparasjon*', 'reparasjon* .. koste*', 'få den fikset', 'få den reparert'],
      nn: ['tinge .. service', 'flytte .. besøk*', 'flytte .. servicebesøk*', 'utsetje .. besøk*', 'flyttast til', 'kostar .. reparasjon*', 'få han fiksa', 'få han reparert'],
      en: ['book a service visit', 'book .. service', 'reschedule*', 'move the visit', 'move .. appointment', 'date for .. service visit', 'repair .. cost', 'cost .. repair*', 'what would a repair', 'get it fixed', 'get it repaired'],
    },
  },
  {
    // They already have it: an agreement they pay for, equipment we delivered or mounted.
    // Questions about what that covers are support even when they say "serviceavtale" or
    // "order", which otherwise point to sales (they want it).
    id: 'support.existing',
    queue: 'support',
    weight: 3,
    in: 'any',
    terms: {
      nb: ['vi har serviceavtale*', 'vi har en serviceavtale', 'vår serviceavtale', 'serviceavtalen vår', 'betaler for .. serviceavtale*', 'inkludert i .. avtalen', 'inkludert i .. serviceavtalen', 'dekket av .. avtalen', 'dekker .. avtalen', 'står i serviceavtalen', 'med i .. avtalen'],
      nn: ['vi har serviceavtale*', 'vi har ein serviceavtale', 'serviceavtalen vår', 'betalar for .. serviceavtale*', 'med i .. avtalen', 'med i .. serviceavtalen', 'dekkjer avtalen', 'kva dekkjer', 'kva som er med'],
      en: ['we have a service agreement', 'our service agreement', 'our maintenance contract', 'pay .. for a service agreement', 'included in .. agreement', 'covered by .. agreement', 'agreement cover', 'what it includes'],
    },
  },
  {
    // Equipment we delivered or mounted some time ago: a hint they own it, weaker than an
    // agreement (a replacement enquiry also says when the old unit went in).
    id: 'support.delivered',
    queue: 'support',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['levert av dere', 'montert av dere', 'installert av dere', 'kjøpt av dere', 'kjøpt hos dere', 'ble montert', 'ble installert', 'ble levert', 'vi fikk .. montert', 'vi fikk varmepumpa', 'vi fikk varmepumpen'],
      nn: ['levert av dykk', 'montert av dykk', 'kjøpt hjå dykk', 'vart montert', 'blei montert', 'vart installert', 'blei installert', 'vi fekk .. montert'],
      en: ['was installed', 'were installed', 'installed by you', 'supplied by you', 'delivered by you', 'bought from you', 'we got the heat pump'],
    },
  },
  {
    // Consumables and spare parts for a unit they own: "hvilke filter passer til aggregatet".
    id: 'support.parts',
    queue: 'support',
    weight: 3,
    in: 'any',
    terms: {
      nb: ['hvilke filter*', 'hvilke filtr*', 'hvilket filter', 'nye filter*', 'nye filtr*', 'reservedel*', 'gjøre det selv'],
      nn: ['kva filter', 'kva filtr*', 'nye filter', 'nye filtr*', 'reservedel*', 'gjere det sjølv'],
      en: ['replacement filter*', 'which filter*', 'spare part*', 'fit my', 'fits my', 'do it myself'],
    },
  },
  {
    id: 'support.cannot',
    queue: 'support',
    weight: 1,
    in: 'any',
    terms: {
      nb: ['kan ikke', 'får ikke', 'klarer ikke', 'finner ikke', 'ingenting skjer', 'skjer ingenting', 'hjalp ikke'],
      nn: ['kan ikkje', 'får ikkje', 'klarar ikkje', 'finn ikkje', 'kjem ikkje', 'hjelpte ikkje'],
      en: ['cannot', "can't", 'unable to', 'does nothing', 'nothing happens', 'never arrives', "doesn't"],
    },
  },
  {
    id: 'support.warranty',
    queue: 'support',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['garanti*', 'reklamasjon*', 'reklamere', 'reparasjon*', 'reparere', 'servicebesøk*', 'servicerapport*', 'montøren', 'tekniker*', 'befaring .. kom', 'kreditnota', 'retur*', 'manglende deler', 'mangler .. deler', 'mangler .. fester', 'feil deler', 'fikset'],
      nn: ['garanti*', 'reklamasjon*', 'reparasjon*', 'montøren', 'teknikar*', 'servicerapport*', 'garantikrav'],
      en: ['warranty', 'guarantee', 'repair*', 'rma', 'service visit', 'service report', 'technician', 'engineer', 'credit note', 'are missing', 'is missing', 'wrong ones', 'replacement part'],
    },
  },
  {
    id: 'support.billing',
    queue: 'support',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['faktura*', 'fakturert', 'kreditnota', 'belastet', 'to like fakturaer', 'forbruk*'],
      nn: ['faktura*', 'fakturaer', 'beløp', 'rekning*'],
      en: ['invoice*', 'billed', 'charged', 'double charge', 'credit', 'consumption'],
    },
  },
  {
    id: 'support.product-detail',
    queue: 'support',
    weight: 1,
    in: 'any',
    terms: {
      nb: ['serienummer*', 'oppdatering*', 'oppgradering*', 'termostat*', 'kontroller*', 'sentralen', 'sikring*', 'strømbrudd*', 'strømstans*', 'fjernkontroll*', 'display*', 'displayet', 'innedel*', 'utedel*', 'filter*', 'filtr*', 'føler*', 'sensor*', 'fastvare*', 'programvare*', 'modell*', 'brakett*', 'koblingsskjema', 'bruksanvisning*', 'manual*', 'dokumentasjon', 'fdv', 'innstilling*', 'stille inn', 'settpunkt*', 'nattsenking', 'frostsikring', 'modus', 'lampa', 'lampen', 'lyset'],
      nn: ['serienummer*', 'oppdatering*', 'straumbrot*', 'straumen', 'fjernkontroll*', 'innedel*', 'utedel*', 'skjermen', 'rettleiing*', 'monteringsrettleiing', 'innstilling*', 'stiller .. inn', 'sensor*', 'føleren', 'sentralen', 'styringa', 'styringssystem*'],
      en: ['serial number', 'firmware', 'update', 'upgrade*', 'controller', 'thermostat*', 'power cut', 'power outage', 'remote', 'display', 'indoor unit', 'outdoor unit', 'filter*', 'sensor*', 'bracket*', 'wiring diagram', 'manual', 'instructions', 'settings', 'setpoint', 'setback', 'modbus'],
    },
  },
  {
    id: 'support.howto',
    queue: 'support',
    weight: 1,
    in: 'any',
    terms: {
      nb: ['hvordan', 'hvor ofte', 'hva gjør', 'hva kan det være', 'er det normalt', 'er det meningen', 'hva betyr', 'betyr det'],
      nn: ['korleis', 'kor ofte', 'kva tyder', 'kva kan vi gjere', 'er det vanleg', 'kva gjer'],
      en: ['how do i', 'how can i', 'how often', 'is that normal', 'is it normal', 'what does it mean', 'any idea*', 'what should i do', 'is there a way'],
    },
  },
  {
    id: 'support.help',
    queue: 'support',
    weight: 1,
    in: 'any',
    terms: {
      nb: ['hjelp', 'setter pris på', 'sette pris på', 'brukerstøtte', 'kundeservice', 'support', 'snarest', 'haster', 'ringe meg', 'ring meg', 'se på', 'ta en titt', 'sjekke', 'komme .. se'],
      nn: ['hjelp', 'set pris på', 'setje pris på', 'brukarstøtte', 'snarast', 'snøggast', 'hastar', 'ringje meg', 'ringe meg', 'sjå på', 'sende nokon', 'sende ein montør'],
      en: ['help', 'support', 'assistance', 'troubleshoot*', 'urgent', 'asap', 'call me', 'ring me', 'look at', 'look into', 'send someone', 'send a technician', 'someone .. come', 'investigate'],
    },
  },
  {
    // They own it: "varmepumpa vår", "our units", "the unit you installed in 2021", cancelling an
    // agreement (being billed for one is support.bought). Longer than the sales words it overlaps ("installed",
    // "serviceavtale"), so it outweighs them (phrase-overlap.ts).
    id: 'support.ours',
    queue: 'support',
    weight: 2,
    in: 'any',
    terms: {
      nb: OURS_NB,
      nn: OURS_NN,
      en: [...pairs(EN_OURS, EN_UNITS, ' '), 'you installed', 'you supplied', 'you fitted', 'you put in', 'installed last year', 'installed .. in 20*', 'installed .. years ago', 'from your company', ...pairs(['cancel', 'terminate', 'end'], EN_AGREEMENTS.map((a) => `our ${a}`), ' ')],
    },
  },
  {
    // They bought it already: a purchase, a payment, an accepted offer or a bill for an agreement.
    // Offer, price and order words next to it are about that purchase (an invoice that does
    // not match the quote, a service the offer included), not a wish to buy: classify.ts
    // halves sales' mention rules when this counts and no wish for something new does.
    // Longer than the offer words it overlaps ("takket ja til tilbudet"), so it outweighs them.
    id: 'support.bought',
    queue: 'support',
    weight: 3,
    in: 'any',
    terms: {
      nb: [...pairs(NO_BOUGHT, [...NO_UNITS, 'panelovn*', 'ovn*', 'omn*'], ' '), 'kjøpte .. av dere', 'kjøpte .. hos dere', 'etter kjøp*', 'har betalt', 'vi betalte', 'jeg betalte', 'betalt forskudd', 'takket ja til .. tilbud*', 'godtok .. tilbud*', 'i tilbudet stod', 'i tilbudet sto', 'stod det i tilbudet', 'sto det i tilbudet', 'tilbudet vi fikk', 'tilbudet jeg fikk', 'med i tilbudet', 'inkludert i tilbudet', 'fikk tilbud og kjøpte', 'tilbudet .. var fast pris', 'fått faktura', 'fikk faktura', ...pairs(NO_BILLS, NO_AGREEMENTS, ' .. ')],
      nn: ['kjøpte .. frå dykk', 'kjøpte .. hjå dykk', 'har betalt', 'me betalte', 'betalt forskot', 'takka ja til .. tilbod*', 'i tilbodet stod', 'stod det i tilbodet', 'tilbodet me fekk', 'tilbodet vi fekk', 'med i tilbodet', 'inkludert i tilbodet', 'fekk tilbod og kjøpte', 'tilbodet .. var fast pris', 'fått rekning', 'fekk rekning', 'fått faktura', ...pairs(['rekning*'], NO_AGREEMENTS, ' .. ')],
      en: [...pairs(EN_BOUGHT, [...EN_UNITS, 'panel*', 'heater*'], ' '), 'bought .. from you', 'purchased .. from you', 'bought your', 'after buying', 'we paid', 'i paid', 'than we paid', 'we were charged', 'i was charged', 'we accepted .. quote', 'we accepted .. offer', 'the quote said', 'the offer said', 'the quote included', 'the offer included', 'quote .. listed', 'offer .. listed', 'our offer from you', 'our quote from you', 'the quote we got', 'the offer we got', 'in the quote', 'in the offer', ...pairs(EN_BILLS, EN_AGREEMENTS, ' .. ')],
    },
  },
  // ======================================================================================
  // sales
  // ======================================================================================
  {
    id: 'sales.quote',
    queue: 'sales',
    weight: 3,
    in: 'any',
    terms: {
      nb: ['tilbud', 'pristilbud', 'prisforespørsel', 'prisoverslag', 'overslag', 'budsjettpris*', 'anbud*', 'konkurranse', 'rammeavtale', 'anskaffelse', 'markedsundersøkelse', 'storkundeavtale', 'prisliste'],
      nn: ['tilbod', 'pristilbod', 'prisforespurnad', 'budsjettpris*', 'prislista', 'prisliste'],
      en: ['quote', 'quotes', 'quotation*', 'rfq', 'request for information', 'proposal', 'estimate', 'pricing', 'price list', 'tender', 'budget prices', 'budget figures', 'indicative', 'trade pricing'],
    },
  },
  {
    id: 'sales.order',
    queue: 'sales',
    weight: 3,
    in: 'any',
    terms: {
      nb: ['bestilling*', 'bestille', 'bestiller', 'ordre', 'ordren', 'ordrenummer', 'innkjøpsordre', 'kjøpe', 'kjøp av', 'ordrebekreftelse', 'på lager'],
      nn: ['tinging*', 'tinge', 'bestilling*', 'kjøpe'],
      en: ['purchase order', 'place an order', 'new order', 'our order', 'order number', 'order no', 'would like to order', 'want to order', "i'd like to order", 'order confirmation', 'purchase', 'buy', 'in stock'],
    },
  },
  {
    id: 'sales.project',
    queue: 'sales',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['interessert i', 'ønsker å kjøpe', 'leveranse*', 'leveringstid', 'rekkehus', 'eneboliger', 'enebolig', 'nybygg*', 'nytt hus', 'byggestart', 'prosjekt*', 'skisseprosjekt*', 'totalrenover*', 'renover*', 'befaring', 'vurderer', 'bytte ut', 'erstatte', 'montert', 'montering', 'installert', 'installasjon', 'oljefyr*', 'hytte*', 'kvm', 'kampanje*', 'enova', 'energieffektiv*', 'forslag', 'fast leverandør', 'bygg vi forvalter', 'eier .. bygg'],
      nn: ['interessert i', 'ønskjer å kjøpe', 'leveranse*', 'rekkjehus', 'einebustad', 'byggjer', 'byggje', 'byggjestart', 'nytt hus', 'vurderer', 'skal byte', 'nytt fjøs', 'samfunnshus', 'synfaring', 'byte ut', 'montert', 'montering', 'hytta', 'kvadrat*', 'kampanje*', 'haustkampanje', 'forslag', 'redusere straumrekninga', 'samanlikne'],
      en: ['interested in', 'would like to buy', 'new build*', 'new house', 'developing', 'development', 'project', 'refurbish*', 'renovat*', 'replace', 'replacing', 'installed', 'installation', 'holiday home', 'cabin', 'm²', 'campaign', 'offer', 'evaluating', 'compare', 'concept', 'partner for', 'survey', 'site visit', 'considering', 'planning to'],
      // Plural only: one flat is where a tenant has a fault, forty are a project. "bygger" exact:
      // its stem is that of "bygget", the building where a fault is.
      all: ['leiligheter', 'leilegheiter', 'apartments', 'boliger', 'bustader', 'buildings', 'bygger', 'bygge', 'skal bytte'],
    },
  },
  {
    id: 'sales.request',
    queue: 'sales',
    weight: 3,
    in: 'any',
    terms: {
      nb: ['tilbud på', 'gi oss et tilbud', 'gi oss en pris', 'pris på', 'prisoverslag på', 'hva vil det koste', 'hva koster det å', 'regne på', 'heller bytte', 'bytte det ut', 'heller bytte .. enn .. reparere', 'utvide .. avtale*', 'utvide .. serviceavtale*', 'levere tilbud', 'gi tilbud', 'gi oss en pris', 'konkurransegrunnlag*'],
      nn: ['tilbod på', 'gje oss ein pris', 'pris på', 'kva vil det koste', 'kva kostar det å', 'rekne på', 'heller byte', 'byte det ut', 'heller byte .. enn .. reparere', 'utvide .. avtale*', 'utvide .. serviceavtale*', 'levere tilbod', 'gje tilbod'],
      en: ['quote for', 'quotation for', 'pricing for', 'price for', 'proposal for', 'estimate for', 'offer us', 'what would .. cost', 'what would it cost', 'rather replace', 'replace .. rather than repair*', 'extend .. agreement', 'expand .. agreement', 'add .. to .. agreement', 'invite .. to submit', 'submit a proposal', 'submit a quote', 'submit an offer', 'submit a bid', 'tender documents', 'invitation to tender', 'give us a number', 'give us a price', 'give us a figure'],
    },
  },
  {
    // They want it: a wish for a price, an offer or something new ("vil ha pris på en ny",
    // "treng eit budsjettoverslag", "we'd like a quote").
    id: 'sales.want',
    queue: 'sales',
    weight: 2,
    in: 'any',
    terms: {
      nb: WANT_NB,
      nn: WANT_NN,
      en: [...pairs([...EN_WANT, ...EN_ASK], EN_OFFER, ' .. '), ...pairs(EN_WANT, EN_NEW, ' '), 'what does it cost', 'what would it cost'],
    },
  },
  {
    id: 'sales.price',
    queue: 'sales',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['pris', 'priser', 'prisen', 'kost*', 'hva vil det koste', 'hva koster', 'hvor mye .. koster', 'rabatt*', 'volumrabatt', 'betingelser', 'bedre priser'],
      nn: ['pris', 'prisar', 'prisen', 'kostar', 'kva kostar', 'kva vil det koste', 'kor mykje .. kostar', 'kostnad*'],
      en: ['price', 'prices', 'cost', 'costs', 'how much', 'what would .. cost', 'discount*', 'terms', 'per year', 'annual'],
    },
  },
  {
    id: 'sales.agreement',
    queue: 'sales',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['serviceavtale*', 'tilbud på .. avtale*', 'pris på .. avtale*', 'utvide avtalen', 'utvide serviceavtalen', 'ta det med i avtalen', 'samle service'],
      nn: ['serviceavtale*', 'pris på .. serviceavtale'],
      en: ['service agreement', 'maintenance contract', 'service contract', 'adding it to the agreement', 'yearly maintenance'],
    },
  },
  {
    id: 'sales.partner',
    queue: 'sales',
    weight: 3,
    in: 'any',
    terms: {
      nb: ['forhandler*', 'bli forhandler', 'selge og montere', 'selge .. produktene', 'partnership', 'reseller*', 'samarbeid'],
      nn: ['forhandlar*', 'selje produkta', 'bli forhandlar'],
      en: ['dealer', 'distributor*', 'distribution', 'reseller*', 'wholesaler', 'carrying your', 'carry your', 'installer network', 'partner program'],
    },
  },
  {
    id: 'sales.demo',
    queue: 'sales',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['demo', 'gjennomgang av portalen', 'system for energioppfølging', 'per bygg'],
      nn: ['vise oss', 'ta i bruk'],
      en: ['demo', 'show us', 'per building', 'monitoring platforms', 'introductory meeting'],
    },
  },
  // ======================================================================================
  // privacy: the writer's own data
  // ======================================================================================
  {
    id: 'privacy.personal-data',
    queue: 'privacy',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['personopplysning*', 'personlige opplysninger', 'persondata', 'personvern*', 'opplysningene mine', 'mine opplysninger', 'mine data', 'dataene mine', 'kundeprofil*', 'kunderegister*', 'registeret', 'registrene', 'ordrehistorikk*', 'kjøpshistorikk*', 'kundehistorikk*', 'historikken min'],
      nn: ['personopplysning*', 'personlege opplysningar', 'personvern*', 'opplysningane mine', 'mine opplysningar', 'registera', 'registeret', 'kunderegister*', 'ordrehistorikk*', 'kjøpshistorikk*', 'historikken min'],
      en: ['personal data', 'personal information', 'personal info', 'personal details', 'data protection', 'privacy', 'my details', 'my data', 'my information', 'my records', 'your records', 'on file', 'your database*', 'your systems', 'my personal', 'my info', 'my entry', 'order history', 'purchase history', 'my history'],
    },
  },
  {
    id: 'privacy.about-me',
    queue: 'privacy',
    weight: 1.5,
    in: 'any',
    terms: {
      nb: ['om meg', 'på meg', 'lagret', 'registrert'],
      nn: ['om meg', 'på meg', 'hjå dykk', 'lagra', 'registrert'],
      en: ['about me', 'on me', 'for me', 'you hold', 'you have', 'stored'],
    },
  },
  {
    id: 'privacy.law',
    queue: 'privacy',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['personopplysningsloven', 'personvernforordning*', 'datatilsynet', 'samtykke'],
      en: ['data protection authority', 'supervisory authority', 'consent'],
      all: ['gdpr', 'gdpr-*'],
    },
  },
  // ----- access
  {
    id: 'privacy.access.phrase',
    queue: 'privacy',
    right: 'access',
    weight: 5,
    in: 'any',
    terms: {
      nb: ['be om innsyn', 'ber om innsyn', 'ønsker innsyn', 'krav om innsyn', 'rett til innsyn', 'innsynsbegjæring', 'innsynskrav', 'innsynsforespørsel', 'innsyn i .. om meg', 'innsyn i alt', 'hvilke personopplysninger', 'hvilke opplysninger', 'hvilke data .. om meg', 'hvilke data .. samler', 'hva .. lagret om meg', 'hva .. registrert om meg', 'hva .. har om meg', 'hva vet dere om meg', 'vet dere .. om meg', 'hvor har dere .. fra', 'kopi av .. personopplysning*', 'kopi av .. opplysning*', 'kopi av .. lagret', 'oversikt over .. registrert', 'oversikt over .. lagret', 'se hva .. lagret', 'se hvilke data', 'hvem .. delt dem med', 'hva .. om meg', 'hvilke .. om meg', 'hva slags .. om meg', 'artikkel 15'],
      nn: ['innsyn i .. opplysningar', 'kva personopplysning*', 'kva for opplysningar', 'kva opplysningar', 'kva for data', 'kva .. har om meg', 'kva .. lagra om meg', 'kva veit de .. om meg', 'kvar har de .. frå', 'kopi av .. personopplysning*', 'kopi av .. opplysningar', 'oversikt over .. lagra', 'kven får sjå', 'kva .. om meg'],
      en: ['right of access', 'right to access', 'access request', 'subject access', 'copy of .. personal data', 'copy of .. information', 'copy of all', 'what personal data', 'which personal data', 'what personal info', 'what information .. about me', 'what information .. on me', 'what data .. about me', 'what data .. stored', 'what data .. collect', 'what do you have on me', 'how did you get my', 'where you got', 'data .. stored about me', 'everything you store about me', 'export of everything', 'see all the data', 'who it has been shared with', 'who can see it', 'full overview of what', 'what .. about me', 'which .. about me', 'what .. you keep about', 'copy of .. data', 'copy of .. recording*', 'article 15'],
      all: ['art. 15', 'art 15'],
    },
  },
  {
    id: 'privacy.access.word',
    queue: 'privacy',
    right: 'access',
    weight: 3,
    in: 'any',
    terms: { nb: ['innsyn'], nn: ['innsyn'], en: ['data export', 'export of my data'] },
  },
  // ----- rectification: a wrong or changed detail about the writer
  {
    id: 'privacy.rectification.phrase',
    queue: 'privacy',
    right: 'rectification',
    weight: 5,
    in: 'any',
    terms: {
      nb: ['retting av .. opplysning*', 'rette .. opplysning*', 'korrigere .. opplysning*', 'oppdatere .. opplysning*', 'registrert på meg .. feil', 'registrert på meg .. stemmer ikke', 'opplysning* .. om meg .. feil', 'rett til retting', 'feil .. på meg', 'på meg er feil', 'stavet feil', 'feilstavet', 'feilstava'],
      nn: ['retting av .. opplysningar', 'rette .. opplysningar', 'registrert på meg .. feil', 'feil .. hjå dykk', 'feilstava'],
      en: ['rectify', 'rectification', 'incorrect .. personal data', 'misspelled', 'misspelt', 'spelled wrong', 'my .. details are wrong', 'article 16'],
      all: ['art. 16', 'art 16'],
    },
  },
  {
    // A detail of the writer's, changed or wrong: "rette telefonnummeret", "feil adresse".
    id: 'privacy.rectification.detail',
    queue: 'privacy',
    right: 'rectification',
    weight: 3,
    in: 'any',
    terms: {
      nb: [...pairs(['rette', 'endre', 'oppdatere', 'korrigere', 'fikse', 'bytte'], NO_DETAILS, ' .. '), ...pairs(['feil'], NO_DETAILS, ' '), ...pairs(NO_DETAILS, ['er feil', 'stemmer ikke', 'skal være', 'er endret', 'endret til', 'er nå', 'rettet til', 'blir rettet', 'korrigert til'], ' .. ')],
      nn: [...pairs(['retta', 'endra', 'oppdatera', 'byte'], NO_DETAILS, ' .. '), ...pairs(NO_DETAILS, ['stemmer ikkje', 'skal vere', 'er endra', 'endra til', 'er no', 'retta til', 'vert retta', 'blir retta'], ' .. ')],
      en: [...pairs(['correct', 'change', 'update', 'fix', 'amend', 'replace'], EN_DETAILS.filter((d) => !['name', 'email', 'number'].includes(d)), ' .. '), ...pairs(['wrong', 'outdated', 'incorrect'], EN_DETAILS, ' '), ...pairs(EN_DETAILS, ['is wrong', 'are wrong', 'is outdated', 'is misspelled', 'is incorrect', 'has changed', 'changed to', 'is now'], ' .. '), ...pairs(['correct', 'update', 'change', 'fix', 'amend'], EN_OWN_DATA, ' .. ')],
    },
  },
  {
    // A new or old detail is a hint only: a firm's new invoice address is no privacy request.
    id: 'privacy.rectification.new',
    queue: 'privacy',
    right: 'rectification',
    weight: 1.5,
    in: 'any',
    terms: {
      nb: pairs(['ny', 'nytt', 'gammel', 'gamle', 'riktig', 'riktige'], NO_DETAILS, ' '),
      nn: pairs(['gamal', 'gamle', 'rett', 'rette'], NO_DETAILS, ' '),
      en: pairs(['new', 'old', 'correct'], EN_DETAILS, ' '),
    },
  },
  {
    // The writer's own detail: "navnet mitt", "adressa mi", "my phone number".
    id: 'privacy.rectification.mine',
    queue: 'privacy',
    right: 'rectification',
    weight: 2,
    in: 'any',
    terms: {
      nb: [...pairs(NO_DETAILS, ['mitt', 'min', 'mi'], ' '), ...pairs(['mitt', 'min'], NO_DETAILS, ' ')],
      en: pairs(['my'], EN_DETAILS, ' '),
    },
  },
  {
    id: 'privacy.rectification.word',
    queue: 'privacy',
    right: 'rectification',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['retting', 'rette det', 'rette opp', 'rett opp', 'har flyttet', 'pikenavn*', 'giftet meg', 'byttet etternavn', 'nytt etternavn', 'endre det', 'vennligst oppdater', 'vennligst endre', 'i stedet', 'det riktige er'],
      nn: ['retting', 'rette det', 'rette opp', 'har flytta', 'nyleg flytta', 'endre det', 'oppdatere det', 'i staden'],
      all: ['flyttet fra', 'flytta fra', 'flytta frå', 'moved from', 'moved out of'],
      en: ['correct it', 'update your records', 'update them to', 'maiden name', 'married name', 'records still show', 'still .. on file', "i've moved", 'i have moved', 'instead', 'delete the old one', 'remove the old one'],
    },
  },
  // ----- completion
  {
    id: 'privacy.completion.phrase',
    queue: 'privacy',
    right: 'completion',
    weight: 5,
    in: 'any',
    terms: {
      nb: ['supplere .. opplysning*', 'supplering av .. opplysning*', 'ufullstendige .. opplysninger', 'opplysninger* .. er ufullstendige', 'mangelfulle .. opplysninger', 'komplettere .. opplysning*', 'det er ufullstendig', 'blir lagt til', 'føyes til'],
      nn: ['supplere .. opplysningar', 'ufullstendige .. opplysningar', 'mangelfulle .. opplysningar'],
      en: ['complete my .. data', 'incomplete .. personal data', 'incomplete .. data about me', 'is incomplete', 'add a note .. to my data', 'supplementary statement'],
    },
  },
  {
    id: 'privacy.completion.word',
    queue: 'privacy',
    right: 'completion',
    weight: 2,
    in: 'any',
    terms: { nb: ['supplering', 'ufullstendig*', 'mangelfull*'], nn: ['supplering', 'ufullstendig*'], en: ['incomplete'] },
  },
  // ----- erasure
  {
    id: 'privacy.erasure.phrase',
    queue: 'privacy',
    right: 'erasure',
    weight: 5,
    in: 'any',
    terms: {
      nb: ['slett* .. personopplysning*', 'slett* .. opplysning* .. om meg', 'slett* meg', 'slett* .. mine data', 'slett* .. om meg', 'slett* alle opplysning*', 'slett* kontoen min', 'slett* kundeprofilen', 'slett* .. lagret på meg', 'slett* .. lagret om meg', 'fjerne .. personopplysning*', 'fjerne .. om meg', 'fjern alt', 'fjerne all informasjon', 'sletting av .. personopplysning*', 'rett til sletting', 'retten til sletting', 'bli glemt', 'glem meg', 'glemme meg', 'anonymiser* .. meg', 'ikke stå i .. register*', 'personopplysninger om meg slettes', 'alt slettes'],
      nn: ['slett* .. opplysningar', 'slett* meg', 'slett* .. om meg', 'slett* kontoen min', 'slett* brukarkontoen', 'slettar alle', 'fjerne .. opplysningar .. om meg', 'fjern alt', 'fjern meg', 'gløym meg', 'gløyme meg', 'bli gløymd'],
      en: ['delete my .. data', 'delete my .. information', 'delete all .. data', 'delete all information', 'delete everything', 'erase .. personal data', 'erase my', 'erase all', 'erasure', 'right to be forgotten', 'forget me', 'forget about me', 'forget everything about me', 'remove my .. personal data', 'remove my personal details', 'remove me from your systems', 'wipe me', 'wipe my', 'my data deleted', 'data deletion', 'article 17'],
      all: ['art. 17', 'art 17'],
    },
  },
  {
    // Wanting it deleted, in the passive: "vil ha historikken min sletta", "opplysningane om meg
    // vert sletta", "I want my account deleted".
    id: 'privacy.erasure.want',
    queue: 'privacy',
    right: 'erasure',
    weight: 3,
    in: 'any',
    terms: {
      nb: ['vil .. ha .. slettet', 'ønsker .. slettet', ...pairs(['om meg', 'lagret om meg'], ['slettes', 'slettet', 'fjernes', 'fjernet'], ' .. '), 'ber om at .. slettes', 'ber om sletting', 'krever sletting', ...pairs(['opplysning*', 'personopplysning*', 'kontoen min', 'brukeren min', 'profilen min', 'mine data', 'dataene mine'], ['slettes', 'slettet', 'fjernes', 'fjernet'], ' .. ')],
      nn: ['vil .. ha .. sletta', 'ønskjer .. sletta', ...pairs(['om meg', 'lagra om meg'], ['sletta', 'slettast', 'fjerna', 'fjernast'], ' .. '), 'ynskjer .. sletta', 'ber om at .. sletta', 'ber om sletting', ...pairs(['opplysning*', 'personopplysning*', 'kontoen min', 'brukaren min', 'profilen min', 'dataa mine'], ['sletta', 'slettast', 'fjerna', 'fjernast'], ' .. ')],
      en: ['want it deleted', 'want them deleted', 'want .. history deleted', 'have it deleted', 'have them deleted', 'like it deleted', 'like them deleted', ...pairs(['my data', 'my information', 'my details', 'my account', 'my personal', 'my history'], ['deleted', 'erased', 'removed'], ' .. ')],
    },
  },
  {
    // What the law makes them keep: only said when asking for the rest to go.
    id: 'privacy.erasure.retention',
    queue: 'privacy',
    right: 'erasure',
    weight: 2,
    in: 'any',
    terms: {
      nb: ['pliktige til å', 'plikt til å oppbevare', 'pålagt å oppbevare', 'pålagt å lagre', 'lovpålagt å lagre', 'lovpålagt å oppbevare', 'oppbevaringsplikt*', 'oppbevaringstid*', 'lagringstid*', 'slettes etter'],
      nn: ['pliktige til å', 'plikt til å ta vare', 'pålagt å ta vare', 'lovpålagt å lagre', 'oppbevaringsplikt*', 'lagringstid*', 'sletta etter'],
      en: ['required to keep', 'required to retain', 'obliged to keep', 'obliged to retain', 'retention period', 'deleted after'],
    },
  },
  {
    id: 'privacy.erasure.word',
    queue: 'privacy',
    right: 'erasure',
    weight: 1.5,
    in: 'any',
    terms: { nb: ['slett*', 'fjerne'], nn: ['slett*', 'fjerne'], en: ['delete', 'erase', 'remove', 'deleted', 'close my account'] },
  },
  {
    id: 'privacy.erasure.data',
    queue: 'privacy',
    right: 'erasure',
    weight: 3,
    in: 'any',
    terms: {
      nb: pairs(['slett*', 'fjerne'], ['opplysning*', 'informasjon*', 'mine data', 'kontoen min', 'brukeren min', 'profil*', 'kundeprofil*', 'meg fra', 'meg frå', 'alt dere har'], ' .. '),
      nn: pairs(['slett*', 'fjerne'], ['opplysningar', 'kontoen min', 'brukaren min', 'brukarkonto*', 'alt de har'], ' .. '),
      en: pairs(['delete', 'remove', 'erase', 'wipe'], ['my data', 'my information', 'my details', 'my personal', 'my account', 'my contact details', 'all my', 'everything', 'from your database', 'from your systems', 'from your records', 'from your customer database', 'from your register'], ' .. '),
    },
  },
  // ----- objection: no marketing, no sales calls
  {
    id: 'privacy.objection.phrase',
    queue: 'privacy',
    right: 'objection',
    weight: 5,
    in: 'any',
    terms: {
      nb: ['reserver* meg mot', 'reservasjon mot', 'reservasjonsrett*', 'motsetter meg', 'setter meg imot', 'setter meg mot', 'protesterer mot', 'ikke kontakt meg', 'ikke bli kontaktet', 'ikke bli ringt', 'ikke ringes', 'slutt å ringe', 'ikke .. markedsføring', 'ikke .. reklame', 'ikke .. telefonsalg', 'ikke .. salgsformål', 'ikke .. til salg', 'ikke motta .. markedsføring', 'ikke send meg .. reklame', 'slutt å sende .. reklame', 'ingen mer reklame'],
      nn: ['reserverer meg mot', 'set meg imot', 'set meg mot', 'motset meg', 'protesterer mot', 'ikkje kontakt meg', 'ikkje bli ringt', 'ikkje .. marknadsføring', 'ikkje .. reklame', 'ikkje .. telefonsal', 'ikkje .. til sal', 'ønskjer ikkje .. marknadsføring', 'ynskjer ikkje .. marknadsføring'],
      en: ['object to', 'objection', 'opt out of .. marketing', 'stop .. direct marketing', 'stop the sales calls', 'do not contact me', "don't contact me", 'do not want my details used', 'not .. use my details for', 'no longer wish to receive marketing', 'no more marketing', 'stop using my details for marketing', ...pairs(['stop using', "don't use", 'do not use', 'not to use', 'no longer use'], EN_OWN_DATA, ' '), ...pairs(['stop using', 'not use'], ['my data', 'my info', 'my details', 'my information'], ' .. for ads'), 'stop sending .. advertising', 'stop sending .. ads', 'no more advertising', 'no more ads', 'article 21'],
      all: ['art. 21', 'art 21'],
    },
  },
  {
    // Sales calls or advertising, and a no: "dere har ringt meg fem ganger … jeg er ikke
    // interessert". Exact words: "ringe meg" (call me) is what a support case asks for.
    id: 'privacy.objection.calls',
    queue: 'privacy',
    right: 'objection',
    weight: 2,
    in: 'any',
    terms: {
      all: ['ringt meg', 'ringde meg', 'oppringt', 'oppringninger', 'telefonsalg', 'telefonsal', 'telefonar', 'selgerne', 'seljarane', 'selgere', 'reklame', 'markedsføring', 'marknadsføring', 'called me', 'phoned me', 'sales calls', 'salespeople', 'sales team', 'marketing', 'advertising', 'ads', 'targeting', 'retargeting', 'annonser', 'målretting', 'målrettet reklame'],
    },
  },
  {
    id: 'privacy.objection.no',
    queue: 'privacy',
    right: 'objection',
    weight: 2,
    in: 'body',
    terms: {
      all: ['ikke interessert', 'ikkje interessert', 'not interested', 'vil ikke bli', 'vil ikkje bli', 'ønsker ikke å bli', 'ikke ha flere', 'ikkje ha fleire', 'ikke flere', 'ikkje fleire', "don't want", 'do not want', 'no longer wish', 'no more', 'stop', 'slutt å'],
    },
  },
  // ----- do not track
  {
    id: 'privacy.do-not-track',
    queue: 'privacy',
    right: 'do-not-track',
    weight: 5,
    in: 'any',
    terms: {
      nb: ['ikke spor* meg', 'ikke .. sporing', 'ønsker ikke sporing', 'ingen sporing', 'slå av sporing*', 'skru av sporing*', 'stopp sporing*', 'reserver* .. mot sporing', 'ikke .. registrerer .. åpner', 'uten at dere registrerer', 'sporer hvilke lenker', 'åpningssporing', 'lenkesporing', 'ikke .. spores', 'ikke bli sporet', 'uten sporing'],
      nn: ['ikkje spor* meg', 'ikkje .. sporing', 'ingen sporing', 'slå av sporinga', 'ikkje .. sporar', 'ikkje .. spor kva', 'ikkje .. registrere når eg opnar', 'utan sporing'],
      en: ['do not track', 'do-not-track', "don't track", 'stop tracking', 'no tracking', 'disable tracking', 'opt out of tracking', 'without the tracking', 'tracking pixel*', 'open pixel*', 'click tracking', 'stop recording when i open', 'not .. tracked', 'not .. be tracked', 'without tracking'],
      all: ['dnt'],
    },
  },
  // ======================================================================================
  // newsletter: unsubscribe (handled by the newsletter handler, reported as a right)
  // ======================================================================================
  {
    id: 'newsletter.unsubscribe',
    queue: 'newsletter-reply',
    right: 'unsubscribe',
    weight: 5,
    in: 'any',
    terms: {
      nb: ['meld meg av', 'meld meg ut', 'melde meg av', 'avmeld*', 'avslutt* .. abonnement*', 'ikke send meg flere', 'ikke send meg .. nyhetsbrev*', 'ikke send meg dette', 'fjern meg fra .. liste*', 'fjern meg fra .. nyhetsbrev*', 'fjerne e-posten min fra', 'ta meg av lista', 'stopp .. nyhetsbrev*', 'ønsker ikke .. nyhetsbrev*', 'vil ikke ha .. nyhetsbrev*', 'vil ikke ha flere nyhetsbrev', 'ønsker ikke å motta', 'slutt å sende meg'],
      nn: ['meld meg av', 'meld meg ut', 'ikkje send meg fleire', 'fjern meg frå .. liste*', 'ta meg ut av lista', 'ta adressa mi ut av lista', 'ønskjer ikkje .. nyheitsbrev*', 'vil ikkje ha .. nyheitsbrev*', 'vil ikkje ha fleire slike', 'stopp å sende meg'],
      en: ['unsubscribe*', 'remove me from .. list', 'remove me from .. mailing*', 'stop sending .. newsletter*', 'stop sending me', 'take me off', 'opt me out', 'off your mailing list'],
    },
  },
  {
    id: 'newsletter.mention',
    queue: 'newsletter-reply',
    weight: 1.5,
    in: 'any',
    terms: { nb: ['nyhetsbrev*'], nn: ['nyheitsbrev*', 'nyhetsbrev*'], en: ['newsletter*'] },
  },
  // ======================================================================================
  // spam: cold pitches, scams and phishing. A spam route is a triage item suggested as spam.
  // ======================================================================================
  {
    id: 'spam.pitch',
    queue: 'spam',
    weight: 3,
    in: 'any',
    terms: {
      nb: ['vi hjelper bedrifter', 'salgsmøter', 'kundemøter', 'uforpliktende prat', 'kort prat', '15 minutter', 'book tid', 'nettsiden .. utdatert', 'nye nettsider', 'ny nettside', 'google-annonser', 'linkedin', 'oppsøkende salg', 'flere kunder'],
      nn: ['vi hjelper bedrifter', 'fleire kundar', 'google-annonsar', 'sosiale medium', 'ein prat'],
      en: ['seo', 'backlink*', 'do-follow', 'dofollow', 'guest post', 'sponsored post*', 'first page of google', 'google rankings', 'page one', 'meta tags', 'free audit', 'free seo', 'free report', 'free sample', 'free call', 'book a call', 'explainer video*', 'boost conversions', 'our portfolio', 'outbound campaign', 'verified list', 'email databases', 'b2b email', 'b2b contacts', 'listing fee', 'factory price', 'oem', 'our catalogue', 'beautiful ios', 'special price this week'],
    },
  },
  {
    id: 'spam.money',
    queue: 'spam',
    weight: 3,
    in: 'any',
    terms: {
      nb: ['kryptoplattform', 'krypto*', 'avkastning', 'tjen penger', 'trukket ut', 'vunnet', 'vinner av', 'gevinst*', 'gavekort', 'premie*', 'tilbakebetaling', 'betal kun frakt', 'lite gebyr'],
      nn: ['trekt ut', 'vinnar', 'gåvekort', 'premien', 'krav på', 'tilbakebetaling', 'lite gebyr'],
      en: ['bitcoin', 'crypto*', 'trading', 'monthly returns', 'investor', 'beneficiary', 'next of kin', 'inheritance', 'barrister', 'widow', 'lottery', 'you have won', 'online draw', 'to claim', 'pre-approved', 'no credit check', 'bank details', 'business proposal', 'million'],
    },
  },
  {
    id: 'spam.phishing',
    queue: 'spam',
    weight: 3,
    in: 'any',
    terms: {
      nb: ['bekreft identiteten', 'bekreft dine detaljer', 'kontoen din er sperret', 'uvanlig aktivitet', 'tollgebyr', 'pakken din', 'innen 24 timer', 'innen 48 timer', 'klikk her', 'hent premien', 'stadfest'],
      nn: ['stadfest kontoen', 'stadfest opplysningane', 'stadfest kontonummeret', 'nådd grensa', 'innan 24 timar', 'innan fredag'],
      en: ['verify your account', 'storage limit', 'mailbox .. full', 'password expires', 'confirm your current password', 'lock your account', 'customs fee', 'parcel on hold', 'final notice', 'suspension of services', 'renew now', 'expires in', 'secure document', 'within 24 hours', 'within 48 hours', 'click here', 'click to', 'register now', 'sign up today', 'slots', 'dear friend', 'dear investor', 'dear beneficiary'],
    },
  },
  {
    // How cold outreach opens and closes; a hint that only counts with a pitch or a scam.
    id: 'spam.cold',
    queue: 'spam',
    weight: 1.5,
    in: 'any',
    terms: {
      nb: ['vi hjelper', 'vi lager', 'vi tilbyr', 'har du tid', 'skal jeg sende', 'helt uten at', 'bedrifter som deres'],
      nn: ['vi hjelper', 'har du ti minutt', 'har du tid'],
      en: ['we help', 'we have helped', 'we build', 'we create', 'we offer', 'we sell', "we'd love to", 'love what you', 'came across your', 'i noticed', 'noticed your', 'reaching out', 'would you be interested', 'interested?', 'just reply', 'reply for', 'can i send you', 'we are a manufacturer', 'check out our', 'your business'],
    },
  },
  {
    // Delivery failures that automated-mail recognition missed: no person wrote them, so they
    // must not become a ticket by default; they go where spam goes (triage, never answered).
    id: 'spam.robot',
    queue: 'spam',
    weight: 5,
    in: 'any',
    terms: {
      en: ['rcpt to', 'requested action not taken', 'no such user', 'user unknown', 'undeliverable', 'delivery status notification', 'mail delivery failed', 'delivery has failed', 'returned mail', 'permanent error', 'mailer-daemon'],
    },
  },
  {
    id: 'spam.link',
    queue: 'spam',
    weight: 1.5,
    in: 'body',
    terms: { all: ['http', 'https'] },
  },
];
