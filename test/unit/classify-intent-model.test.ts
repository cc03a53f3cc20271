import { describe, expect, it } from 'vitest';
import { featuresOf, textOf, scoreIntent, shippedIntentModel, trainIntentModel, MODEL_LABELS, type IntentPosterior, type ModelLabel, type TrainingMail } from '../../src/classify/intent-model.ts';
import { applyModel, MODEL_LEAN_POSTERIOR, MODEL_MIN_POSTERIOR, MODEL_OVERTURN_POSTERIOR, MODEL_PRIVACY_POSTERIOR } from '../../src/classify/model-decision.ts';
import { classifyMessage, decide, type RulesDecision } from '../../src/classify/classify.ts';
import type { MessageFacts } from '../../src/classify/message-facts.ts';
import { defaultRoutingConfig, routingConfigSchema, type Queue } from '../../src/classify/routing-rules.ts';

const config = defaultRoutingConfig;

// A few mails in voices unlike the training split: a marina, a bakery, a ski club.
const toy: TrainingMail[] = [
  { label: 'support', language: 'nb', subject: 'Landstrømmen på brygga', body: 'Strømstolpen på brygge C gir ikke strøm lenger, lampen lyser rødt.' },
  { label: 'support', language: 'nb', subject: 'Stolpen på brygga blinker', body: 'Lampen i strømstolpen blinker rødt igjen, båtene får ikke strøm.' },
  { label: 'support', language: 'en', subject: 'Dock pedestal dead', body: 'The pedestal on dock C shows a red lamp and gives no power to the boats.' },
  { label: 'sales', language: 'nb', subject: 'Nye stolper til bakeriet', body: 'Bakeriet utvider og vil kjøpe fire nye stolper. Hva koster de montert?' },
  { label: 'sales', language: 'nb', subject: 'Kjøpe stolper', body: 'Skiklubben vil kjøpe stolper til lysløypa, hva koster det?' },
  { label: 'sales', language: 'en', subject: 'Buying pedestals', body: 'Our ski club is buying pedestals for the new trail; what do they cost fitted?' },
  { label: 'privacy', language: 'nb', subject: 'Opplysningene mine', body: 'Jeg vil vite hvilke opplysninger klubben har lagret om meg, og slette dem.' },
  { label: 'privacy', language: 'nb', subject: 'Slett opplysningene', body: 'Slett opplysningene om meg, jeg er ikke medlem lenger.' },
  { label: 'privacy', language: 'en', subject: 'My records', body: 'Please tell me which records the club keeps about me and erase them.' },
];

function posterior(best: ModelLabel, p: number, known = 10): IntentPosterior {
  const rest = (1 - p) / (MODEL_LABELS.length - 1);
  return { best, known, p: Object.fromEntries(MODEL_LABELS.map((l) => [l, l === best ? p : rest])) as Record<ModelLabel, number> };
}
const scores = (s: Partial<Record<Queue, number>>): Record<Queue, number> => ({ support: 0, sales: 0, privacy: 0, 'newsletter-reply': 0, spam: 0, ...s });


/** The rules' own decision on these scores (what classify.ts hands the model), checked to be `expected`. */
function rulesOn(s: Record<Queue, number>, config: Parameters<typeof decide>[1], robotOrExpected: true | string, expected?: string): RulesDecision {
  const robot = robotOrExpected === true;
  const d = decide(s, config, robot ? { robot: 'postmaster@kunde.example' } : {});
  expect(d.route).toBe(robot ? expected : robotOrExpected);
  return d;
}

describe('intent model', () => {
  it('stems words (the rules\' stemmer) and neighbouring pairs, counts each once, and weighs the subject more', () => {
    const f = featuresOf(textOf('Stolpen blinker'), textOf('stolpen stolper stolpene 2024 x'), 'nb');
    expect(f.get('stolp')).toBe(3);
    // Neighbours in one sentence are a feature too, in order; not across a sentence or a number.
    expect(f.get('stolp blink')).toBe(3);
    expect(f.has('blink stolp')).toBe(false);
    expect(featuresOf(textOf(''), textOf('Vil kjøpe. Stolper nå'), 'nb').has('kjøp stolp')).toBe(false);
    expect(f.has('2024')).toBe(false);
    expect(f.has('x')).toBe(false);
    expect([...f.values()].every((w) => w === 1 || w === 3)).toBe(true);
  });

  it('learns from labelled mail and prunes stems seen in fewer mails than minMails', () => {
    const model = trainIntentModel(toy, { minMails: 2 });
    expect(model.trainedOn.mails).toBe(9);
    expect(model.stems['båt']).toBeUndefined();
    expect(Object.keys(model.stems).length).toBeLessThan(40);
    expect(scoreIntent(model, textOf('Lampen lyser rødt'), textOf('Stolpen gir ikke strøm'), 'nb').best).toBe('support');
    expect(scoreIntent(model, textOf('Hva koster det'), textOf('Vi vil kjøpe to stolper.'), 'nb').best).toBe('sales');
    const priv = scoreIntent(model, textOf(''), textOf('Slett opplysningene dere har lagret om meg.'), 'nb');
    expect(priv.best).toBe('privacy');
    expect(Object.values(priv.p).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('knows nothing of words it never saw', () => {
    const model = trainIntentModel(toy, { minMails: 2 });
    expect(scoreIntent(model, textOf('Quetzal'), textOf('zyxx quorum'), 'en').known).toBe(0);
  });

  it('ships a model trained on the training split', () => {
    const m = shippedIntentModel();
    expect(m?.labels).toEqual([...MODEL_LABELS]);
    expect(m!.trainedOn.mails).toBeGreaterThan(500);
  });
});

describe('where the model may decide (applyModel)', () => {
  it('settles a support/sales split the rules left to triage when it is sure', () => {
    const v = applyModel(rulesOn(scores({ support: 6, sales: 5 }), config, 'triage'), scores({ support: 6, sales: 5 }), config, posterior('sales', 0.93));
    expect(v.route).toBe('sales');
    expect(v.reason).toBe('model: sales 0.93 (rules split support 6 / sales 5)');
  });

  it('leaves the split in triage when unsure, or when it names neither side', () => {
    expect(applyModel(rulesOn(scores({ support: 6, sales: 5 }), config, 'triage'), scores({ support: 6, sales: 5 }), config, posterior('sales', MODEL_MIN_POSTERIOR - 0.05)).route).toBe('triage');
    expect(applyModel(rulesOn(scores({ support: 6, sales: 5 }), config, 'triage'), scores({ support: 6, sales: 5 }), config, posterior('spam', 0.99)).route).toBe('triage');
  });

  it('keeps out of a split with privacy evidence the rules want a person to see', () => {
    const v = applyModel(rulesOn(scores({ support: 6, sales: 5, privacy: 3 }), config, 'triage'), scores({ support: 6, sales: 5, privacy: 3 }), config, posterior('sales', 0.99));
    expect(v.route).toBe('triage');
  });

  it('moves unclaimed mail from the default queue to sales when sure, not otherwise', () => {
    const v = applyModel(rulesOn(scores({ support: 1 }), config, 'support'), scores({ support: 1 }), config, posterior('sales', 0.97));
    expect(v.route).toBe('sales');
    expect(v.reason).toContain('instead of routing.defaultQueue support');
    // No sales evidence at all: it must be very sure (a supplier's pitch reads like an enquiry).
    expect(applyModel(rulesOn(scores({ support: 1 }), config, 'support'), scores({ support: 1 }), config, posterior('sales', 0.9)).route).toBe('support');
    expect(applyModel(rulesOn(scores({ support: 1 }), config, 'support'), scores({ support: 1 }), config, posterior('sales', 0.7)).route).toBe('support');
    expect(applyModel(rulesOn(scores({}), config, 'support'), scores({}), config, posterior('spam', 0.99)).route).toBe('support');
    expect(applyModel(rulesOn(scores({}), config, 'support'), scores({}), config, posterior('newsletter-reply', 0.99)).route).toBe('support');
  });

  it('takes its lean for sales on unclaimed mail where sales has some evidence of its own', () => {
    expect(applyModel(rulesOn(scores({ support: 2, sales: 2 }), config, 'support'), scores({ support: 2, sales: 2 }), config, posterior('sales', MODEL_LEAN_POSTERIOR)).route).toBe('sales');
    expect(applyModel(rulesOn(scores({ support: 2, sales: 2 }), config, 'support'), scores({ support: 2, sales: 2 }), config, posterior('sales', MODEL_LEAN_POSTERIOR - 0.05)).route).toBe('support');
    // No sales evidence at all: the lean is not enough.
    expect(applyModel(rulesOn(scores({ support: 1 }), config, 'support'), scores({ support: 1 }), config, posterior('sales', MODEL_LEAN_POSTERIOR)).route).toBe('support');
  });

  it('overturns the rules between support and sales only when very sure and the other has evidence of its own kind', () => {
    const ask = { salesAsk: true, fault: false, owned: false };
    const s = scores({ support: 7, sales: 3 });
    const v = applyModel(rulesOn(s, config, 'support'), s, config, posterior('sales', 0.97), ask);
    expect(v.route).toBe('sales');
    expect(v.reason).toMatch(/^model: sales 0\.97 overturns the rules' support \(support 7 \/ sales 3;/);
    expect(applyModel(rulesOn(s, config, 'support'), s, config, posterior('sales', MODEL_OVERTURN_POSTERIOR - 0.01), ask).route).toBe('support');
    // Sales words that are no ask (a price mentioned, "annual") do not let it overturn support.
    expect(applyModel(rulesOn(s, config, 'support'), s, config, posterior('sales', 0.99), { salesAsk: false, fault: true, owned: true }).route).toBe('support');
    const back = scores({ support: 2, sales: 10 });
    expect(applyModel(rulesOn(back, config, 'sales'), back, config, posterior('support', 0.99), { salesAsk: true, fault: true, owned: false }).route).toBe('support');
    expect(applyModel(rulesOn(back, config, 'sales'), back, config, posterior('support', 0.99), ask).route).toBe('sales');
    // The other has next to nothing: the rules stand, however sure the model is.
    const alone = scores({ support: 5, sales: 1 });
    expect(applyModel(rulesOn(alone, config, 'support'), alone, config, posterior('sales', 0.99), ask)).toEqual({ route: 'support' });
    // Never into or out of privacy, spam or newsletter replies.
    const news = scores({ 'newsletter-reply': 6, support: 2 });
    expect(applyModel(rulesOn(news, config, 'newsletter-reply'), news, config, posterior('support', 0.99), { salesAsk: false, fault: true, owned: true }).route).toBe('newsletter-reply');
    const spam = scores({ spam: 5, sales: 3 });
    expect(applyModel(rulesOn(spam, config, 'spam'), spam, config, posterior('sales', 0.99), ask).route).toBe('spam');
  });

  it("never overturns a route the operator's address rules give (mail to support@ stays support)", () => {
    const s = scores({ support: 7, sales: 4 });
    const v = applyModel(rulesOn(s, config, 'support'), s, config, posterior('sales', 1), { salesAsk: true, fault: false, owned: false, addressed: ['support'] });
    expect(v.route).toBe('support');
    expect(v.reason).toMatch(/the address rules give support/);
    // An address rule for the other queue does not stop it.
    expect(applyModel(rulesOn(s, config, 'support'), s, config, posterior('sales', 1), { salesAsk: true, fault: false, owned: false, addressed: ['sales'] }).route).toBe('sales');
  });

  it('settles a fault and an explicit ask in one mail (two requests) only when very sure', () => {
    const s = scores({ support: 6, sales: 6 });
    const both = { salesAsk: true, fault: true, owned: false };
    expect(applyModel(rulesOn(s, config, 'triage'), s, config, posterior('sales', 0.9), both).route).toBe('triage');
    expect(applyModel(rulesOn(s, config, 'triage'), s, config, posterior('sales', MODEL_OVERTURN_POSTERIOR), both).route).toBe('sales');
  });

  it('does not touch mail a rule claimed, nor a system sender', () => {
    expect(applyModel(rulesOn(scores({ support: 5 }), config, 'support'), scores({ support: 5 }), config, posterior('sales', 0.99)).route).toBe('support');
    expect(applyModel(rulesOn(scores({ support: 3 }), config, 'support'), scores({ support: 3 }), config, posterior('sales', 0.99)).reason).toBeUndefined();
    const triageDefault = routingConfigSchema.parse({ defaultQueue: 'triage' });
    expect(applyModel(rulesOn(scores({}), triageDefault, 'triage'), scores({}), triageDefault, posterior('support', 0.9)).route).toBe('support');
    expect(applyModel(rulesOn(scores({}), triageDefault, true, 'triage'), scores({}), triageDefault, posterior('support', 0.9)).route).toBe('triage');
  });

  it('never lowers privacy: a confident privacy reading sends ordinary mail to triage, never to a case', () => {
    const v = applyModel(rulesOn(scores({ support: 5, privacy: 1.5 }), config, 'support'), scores({ support: 5, privacy: 1.5 }), config, posterior('privacy', 0.97));
    expect(v.route).toBe('triage');
    expect(v.reason).toContain('model never makes a privacy case');
    expect(applyModel(rulesOn(scores({ sales: 2 }), config, 'sales'), scores({ sales: 2 }), config, posterior('privacy', MODEL_PRIVACY_POSTERIOR)).route).toBe('triage');
    expect(applyModel(rulesOn(scores({}), config, 'support'), scores({}), config, posterior('privacy', 0.99)).route).not.toBe('privacy');
    // Privacy the rules found stays privacy, whatever the model says.
    expect(applyModel(rulesOn(scores({ privacy: 6 }), config, 'privacy'), scores({ privacy: 6 }), config, posterior('support', 0.99)).route).toBe('privacy');
    expect(applyModel(rulesOn(scores({ privacy: 3 }), config, 'triage'), scores({ privacy: 3 }), config, posterior('support', 0.99)).route).toBe('triage');
  });

  it('is not asked when it knows too few of the words', () => {
    expect(applyModel(rulesOn(scores({ support: 6, sales: 5 }), config, 'triage'), scores({ support: 6, sales: 5 }), config, posterior('sales', 0.99, 1))).toEqual({ route: 'triage' });
  });
});

describe('classifyMessage with a model', () => {
  const model = trainIntentModel(toy, { minMails: 2 });
  const mail: MessageFacts = {
    references: [],
    from: { address: 'tor@bakeri.example', name: 'Tor' },
    replyTo: [],
    to: [{ address: 'post@infracomfort.example' }],
    cc: [],
    subject: 'Stolper til bakeriet',
    text: 'Hei, bakeriet vil kjøpe stolper. Hva koster de?\nTor',
    headers: {},
  };

  it('says in the reasons what the model decided and why', () => {
    const alone = classifyMessage(mail, { config, intentModel: null });
    const withModel = classifyMessage(mail, { config, intentModel: model });
    expect(alone.reasons.some((r) => r.startsWith('model:'))).toBe(false);
    if (alone.route === config.defaultQueue && alone.route !== 'sales') {
      expect(withModel.route).toBe('sales');
      expect(withModel.reasons.at(-1)).toMatch(/^model: sales 0\.\d\d \(no rule claims it/);
    } else {
      // The rules claim it themselves (tuned since): the model must leave it alone.
      expect(withModel.route).toBe(alone.route);
    }
  });
});
