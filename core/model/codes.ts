import { COUNTRY_CODES, CURRENCY_CODES } from './iso-codes.js';

/** ISO 4217 currencies and ISO 3166-1 alpha-2 countries: the frozen lists the spec also states (iso-codes.ts). */
const currencies: ReadonlySet<string> = new Set(CURRENCY_CODES);
const countries: ReadonlySet<string> = new Set(COUNTRY_CODES);

export function isCurrency(code: string): boolean {
  return currencies.has(code);
}

// ISO 4217 minor units that differ from 2. (ICU's display digits differ from ISO for some
// currencies, e.g. HUF or IDR, so the exponent comes from ISO, not from Intl.)
const isoExponent: Readonly<Record<string, number>> = Object.freeze({
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0,
  VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
});

/** Minor-unit digits of a currency per ISO 4217 (2 for EUR, 0 for JPY, 3 for KWD). */
export function currencyScale(code: string): number {
  return isoExponent[code] ?? 2;
}

export function isCountry(code: string): boolean {
  return countries.has(code);
}
