/**
 * ISO 4217 currencies and ISO 3166-1 alpha-2 countries, taken from the ICU data that ships with
 * Node.js, so the lists stay current without a hand-kept copy.
 */
const currencies: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

// Codes ICU knows as regions but which are not countries (user-assigned or groupings).
const nonCountries = new Set(['EU', 'EZ', 'UN', 'QO', 'ZZ', 'XA', 'XB', 'AA', 'QM', 'QN', 'QP', 'QZ']);
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
const countryCache = new Map<string, boolean>();

export function isCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && currencies.has(code);
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
  if (!/^[A-Z]{2}$/.test(code) || nonCountries.has(code) || code.startsWith('X')) return false;
  let known = countryCache.get(code);
  if (known === undefined) {
    let name: string | undefined;
    try {
      name = regionNames.of(code);
    } catch {
      name = undefined;
    }
    known = name !== undefined && name !== code;
    countryCache.set(code, known);
  }
  return known;
}
