import * as crm from './messages/crm.js';
import * as ops from './messages/ops.js';
import { signal } from './state.js';

/**
 * English and Simplified Chinese. The choice is remembered in localStorage (a preference, not a
 * secret); money and dates are formatted for the chosen locale with Intl.
 */
export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

/** Each area's messages live in messages/<area>.ts, English first; Chinese must name the same keys (the compiler checks). */
const en = { ...crm.en, ...ops.en };
export type MessageKey = keyof typeof en;
const zh: Record<MessageKey, string> = { ...crm.zh, ...ops.zh };

const MESSAGES: Record<Locale, Record<MessageKey, string>> = { en, 'zh-CN': zh };
const STORAGE_KEY = 'hub.locale';

function initialLocale(): Locale {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved && (LOCALES as readonly string[]).includes(saved)) return saved as Locale;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export const locale = signal<Locale>(initialLocale());

export function setLocale(next: Locale): void {
  localStorage.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
  locale.set(next);
}

export function t(key: MessageKey): string {
  return MESSAGES[locale.get()][key];
}

/** A decimal string as money in the locale (the exact digits: no float rounding of the amount). */
export function money(amount: string, currency: string): string {
  const [whole = '0', frac = ''] = amount.replace(/^-/, '').split('.');
  const negative = amount.startsWith('-');
  const parts = new Intl.NumberFormat(locale.get(), { style: 'currency', currency, minimumFractionDigits: frac.length, maximumFractionDigits: frac.length }).formatToParts(0);
  const grouped = new Intl.NumberFormat(locale.get(), { useGrouping: true }).format(BigInt(whole));
  const decimal = parts.find((p) => p.type === 'decimal')?.value ?? '.';
  const number = frac ? `${grouped}${decimal}${frac}` : grouped;
  const symbol = parts.find((p) => p.type === 'currency')?.value ?? currency;
  const symbolFirst = parts.findIndex((p) => p.type === 'currency') < parts.findIndex((p) => p.type === 'integer');
  const body = symbolFirst ? `${symbol}${number}` : `${number} ${symbol}`;
  return negative ? `-${body}` : body;
}

/** A calendar date `YYYY-MM-DD` in the locale, without shifting it through a time zone. */
export function date(value: string): string {
  const [y, m, d] = value.split('-').map(Number);
  if (!y || !m || !d) return value;
  return new Intl.DateTimeFormat(locale.get(), { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** An instant in the locale and the browser's time zone. */
export function instant(value: string): string {
  return new Intl.DateTimeFormat(locale.get(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(value));
}

/** An instant to the second, in the locale and the browser's time zone (the operations console: runs, audit, lineage). */
export function instantSeconds(value: string): string {
  return new Intl.DateTimeFormat(locale.get(), { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(value));
}
