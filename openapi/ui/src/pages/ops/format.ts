import type { Schemas } from '../../api.js';
import { locale, t, type MessageKey } from '../../i18n.js';

/**
 * Formatting for the operations console: counts, rates and durations in the chosen locale (Intl),
 * and messages with `{name}` slots. Dates go through i18n.ts (`instant`).
 */

/** A message with its `{name}` slots filled. */
export function tf(key: MessageKey, vars: Record<string, string | number>): string {
  return t(key).replace(/\{(\w+)\}/g, (slot, name: string) => (name in vars ? String(vars[name]) : slot));
}

export function count(n: number): string {
  return new Intl.NumberFormat(locale.get(), { maximumFractionDigits: 1 }).format(n);
}

function unit(value: number, name: 'second' | 'minute' | 'hour' | 'day'): string {
  return new Intl.NumberFormat(locale.get(), { style: 'unit', unit: name, unitDisplay: 'short', maximumFractionDigits: 0 }).format(value);
}

/** Seconds as the two largest units (`2 hr 5 min`, `42 sec`). */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return unit(s, 'second');
  if (s < 3600) return [unit(Math.floor(s / 60), 'minute'), s % 60 ? unit(s % 60, 'second') : ''].filter(Boolean).join(' ');
  if (s < 86_400) return [unit(Math.floor(s / 3600), 'hour'), Math.floor((s % 3600) / 60) ? unit(Math.floor((s % 3600) / 60), 'minute') : ''].filter(Boolean).join(' ');
  return [unit(Math.floor(s / 86_400), 'day'), Math.floor((s % 86_400) / 3600) ? unit(Math.floor((s % 86_400) / 3600), 'hour') : ''].filter(Boolean).join(' ');
}

/** A JSON value as text: strings as they are, everything else as indented JSON. */
export function json(value: unknown, indent = 2): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value, null, indent) ?? String(value);
}

/** Every entity the API knows, in the spec's order (the compiler checks that none is missing). */
export const ENTITY_NAMES = ['customer', 'contact', 'product', 'inventory', 'order', 'receivable', 'payment'] as const satisfies readonly Schemas['EntityName'][];
type Unlisted = Exclude<Schemas['EntityName'], (typeof ENTITY_NAMES)[number]>;
const allListed: Unlisted extends never ? true : false = true;
void allListed;

export function isEntity(value: string | undefined): value is Schemas['EntityName'] {
  return (ENTITY_NAMES as readonly string[]).includes(value ?? '');
}

/** `datetime-local` input text (the browser's time zone) as an ISO instant, or undefined when empty or invalid. */
export function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The message `<prefix>.<value>` (a state, an entity, a count's name …), or the value itself when there is none. */
export function labelOf(prefix: string, value: string): string {
  return (t(`${prefix}.${value}` as MessageKey) as string | undefined) ?? value;
}
