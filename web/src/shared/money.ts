// Money as the server sends it: {amount: "19.99", currency: "EUR"}, the amount a decimal string already
// rounded to the currency's minor units. The browser never does float arithmetic on money: it formats
// the string as it is (Intl.NumberFormat takes a decimal string exactly) with as many fraction digits
// as the server sent (JPY "3776", KWD "1.250").

export interface Money {
  amount: string;
  currency: string;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

export function formatMoney(money: Money, locale: string): string {
  if (!DECIMAL.test(money.amount)) throw new Error(`not a decimal amount: ${money.amount}`);
  const digits = money.amount.split(".")[1]?.length ?? 0;
  const format = new Intl.NumberFormat(locale, {
    style: "currency",
    currency: money.currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
  // a decimal string is formatted exactly (ECMA-402 "Intl.NumberFormat v3"), never through a float
  return format.format(money.amount as Intl.StringNumericLiteral);
}

/** A quantity count for display (e.g. "3 items" uses ICU plurals in the messages, not this). */
export function formatNumber(value: number, locale: string): string {
  return new Intl.NumberFormat(locale).format(value);
}
