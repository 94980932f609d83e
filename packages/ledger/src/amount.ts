// Display of amounts (DESIGN.md "Bodies": integer strings of minor units). ISO 4217 gives
// each currency's number of minor-unit digits; this table lists those that do not have 2.
// Display only: amounts on the wire stay integer strings.

// ISO 4217 minor units of the currencies that do not have 2 (everything else is taken to
// have 2, the common case; an unknown currency's decimals are refused, minor units work).
const ZERO_DECIMALS = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
const THREE_DECIMALS = new Set(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']);
const FOUR_DECIMALS = new Set(['CLF', 'UYW']);

export function currencyDecimals(currency: string): number {
  if (ZERO_DECIMALS.has(currency)) return 0;
  if (THREE_DECIMALS.has(currency)) return 3;
  if (FOUR_DECIMALS.has(currency)) return 4;
  return 2;
}

/** "CNY 12.34" from minor units (as DESIGN.md amounts: integer strings). */
export function formatAmount(a: { currency: string; value: string }): string {
  const d = currencyDecimals(a.currency);
  if (!/^[0-9]+$/.test(a.value)) return `${a.currency} ${a.value}`;
  if (d === 0) return `${a.currency} ${a.value}`;
  const v = a.value.padStart(d + 1, '0');
  return `${a.currency} ${v.slice(0, -d)}.${v.slice(-d)}`;
}

