import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

export type TemplateLanguage = 'nb' | 'nn' | 'en';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const BUILT_IN_DIR = path.dirname(fileURLToPath(import.meta.url));

/**
 * Renders `<name>.<lang>.{subject,txt,html}.hbs`. A file in `overrideDir` (config/templates)
 * wins over the built-in one; nynorsk falls back to bokmål, anything else to English. Plain
 * text and subjects are compiled without HTML escaping (handlebars escapes by default).
 */
export class TemplateRenderer {
  private readonly cache = new Map<string, Handlebars.TemplateDelegate>();

  constructor(private readonly overrideDir?: string) {}

  private find(file: string): string | null {
    for (const dir of [this.overrideDir, BUILT_IN_DIR]) {
      if (!dir) continue;
      const p = path.join(dir, file);
      if (existsSync(p)) return p;
    }
    return null;
  }

  private compile(name: string, lang: TemplateLanguage, part: 'subject' | 'txt' | 'html'): Handlebars.TemplateDelegate {
    const key = `${name}.${lang}.${part}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const chain: TemplateLanguage[] = lang === 'nn' ? ['nn', 'nb', 'en'] : lang === 'nb' ? ['nb', 'en'] : ['en', 'nb'];
    for (const l of chain) {
      const file = this.find(`${name}.${l}.${part}.hbs`);
      if (!file) continue;
      const tpl = Handlebars.compile(readFileSync(file, 'utf8'), { noEscape: part !== 'html', strict: false });
      this.cache.set(key, tpl);
      return tpl;
    }
    throw new Error(`template ${name}.${lang}.${part}.hbs not found`);
  }

  render(name: string, lang: TemplateLanguage, vars: Record<string, unknown>): RenderedMail {
    return {
      subject: this.compile(name, lang, 'subject')(vars).replace(/\s+/g, ' ').trim(),
      text: this.compile(name, lang, 'txt')(vars),
      html: this.compile(name, lang, 'html')(vars),
    };
  }
}
