// Pieces the settings editors share (shipping zones, tax rates, promotion codes): field errors by
// the API's field path (and every prefix of it), a labelled checkbox, per-currency amounts, and the
// conversions between form text and the API's values. Amounts and rates stay decimal strings.
import { useId } from "react";
import { useTranslation } from "react-i18next";
import { describeError } from "../../shared/i18n";
import { ApiError } from "../../shared/problem";

/** Field messages by path, and by each shorter prefix too ("amounts.EUR.value" → "amounts.EUR", "amounts"). */
export function withPrefixes(fields: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...fields };
  for (const [path, message] of Object.entries(fields)) {
    const parts = path.split(".");
    for (let n = parts.length - 1; n > 0; n--) {
      const prefix = parts.slice(0, n).join(".");
      if (!(prefix in out)) out[prefix] = message;
    }
  }
  return out;
}

// The settings APIs' own validation messages, said in the person's language (others: common's "Invalid value").
const KNOWN: [RegExp, string, string[]][] = [
  [/^Must not be blank\.$/, "blank", []],
  [/^2 to 40 letters, digits, - or _\.$/, "code_format", []],
  [/^1 to 64 lower-case letters, digits or -\.$/, "method_id_format", []],
  [/^Must be from 0 to 1, with at most 6 decimals\.$/, "rate_format", []],
  [/^Must be above 0 to 100, with at most 6 decimals\.$/, "percent_format", []],
  [/^Is not a valid (?:amount|number) \(/, "amount_format", []],
  [/^Must be a whole number\.$/, "whole_number", []],
  [/^Must be greater than or equal to (\d+) and less than or equal to (\d+)\.$/, "range", ["min", "max"]],
  [/^Must be greater than or equal to (\d+)\.$/, "min", ["min"]],
  [/^Must be an ISO 3166-1 alpha-2 country code/, "country", []],
  [/^'(.+)' is not a supported ISO 4217 currency\.$/, "currency", ["currency"]],
  [/^Length must be between (\d+) and (\d+)\.$/, "length", ["min", "max"]],
  [/^String does not match expected pattern\.$/, "pattern", []],
  [/^This code exists\.$/, "code_exists", []],
  [/^A fixed code needs an amount per currency\.$/, "fixed_needs_amounts", []],
  [/^A percentage code needs a percent\.$/, "percentage_needs_percent", []],
  [/^A flat rate needs an amount\.$/, "flat_needs_amount", []],
  [/^Method ids must be distinct\.$/, "distinct_method_ids", []],
];

/** One of the API's field messages in the person's language, or null when it is not one we know. */
export function knownFieldMessage(text: string, t: (key: string, values?: Record<string, unknown>) => string): string | null {
  for (const [pattern, key, names] of KNOWN) {
    const match = pattern.exec(text);
    if (match) return t(`field_errors.${key}`, Object.fromEntries(names.map((name, i) => [name, match[i + 1]])));
  }
  return null;
}

export function useFieldErrors(error: unknown): Record<string, string> {
  const { t } = useTranslation();
  if (!error) return {};
  const fields = describeError(error, t).fields;
  if (error instanceof ApiError)
    for (const [path, messages] of Object.entries(error.fieldErrors)) {
      const known = knownFieldMessage(messages[0] ?? "", t);
      if (known) fields[path] = known;
    }
  return withPrefixes(fields);
}

/** A whole number as a number; anything else as typed (the API answers with the field's message). */
export function integerValue(text: string): unknown {
  const value = text.trim();
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** An optional whole number: empty → null. */
export function optionalInteger(text: string): unknown {
  return text.trim() === "" ? null : integerValue(text);
}

/** An optional decimal string: empty → null, else the trimmed text (never a float). */
export function optionalDecimal(text: string): string | null {
  return text.trim() === "" ? null : text.trim();
}

/** An ISO instant as a datetime-local input's text (local time, minutes). */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A datetime-local input's text as an ISO instant (empty → null; unreadable text sent as typed). */
export function fromLocalInput(text: string): string | null {
  if (!text.trim()) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toISOString();
}

export function Checkbox({ label, name, checked, onChange, errors, testId }: { label: string; name: string; checked: boolean; onChange: (value: boolean) => void; errors?: Record<string, string>; testId?: string }) {
  const id = useId();
  const message = errors?.[name];
  return (
    <div className="field check">
      <input
        id={id}
        type="checkbox"
        name={name}
        data-testid={testId}
        checked={checked}
        aria-invalid={message ? true : undefined}
        aria-describedby={message ? `${id}-error` : undefined}
        onChange={(e) => onChange(e.target.checked)}
      />
      <label htmlFor={id}>{label}</label>
      {message ? (
        <small id={`${id}-error`} className="field-error">
          {message}
        </small>
      ) : null}
    </div>
  );
}

export interface AmountRow {
  currency: string;
  amount: string;
}

export function toAmountRows(amounts: Record<string, unknown> | null | undefined): AmountRow[] {
  return Object.entries(amounts ?? {}).map(([currency, amount]) => ({ currency, amount: String(amount ?? "") }));
}

export function fromAmountRows(rows: AmountRow[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const row of rows) {
    const currency = row.currency.trim().toUpperCase();
    if (currency) out[currency] = row.amount.trim();
  }
  return out;
}

/** Amounts per currency (a fixed code's discount, a minimum subtotal): rows of currency + amount. */
export function AmountRows({ legend, name, rows, onChange, errors }: { legend: string; name: string; rows: AmountRow[]; onChange: (rows: AmountRow[]) => void; errors: Record<string, string> }) {
  const { t } = useTranslation();
  const errorId = useId();
  const groupError = rows.some((row) => errors[`${name}.${row.currency.trim().toUpperCase()}`]) ? undefined : errors[name];
  const update = (index: number, patch: Partial<AmountRow>) => onChange(rows.map((row, i) => (i === index ? { ...row, ...patch } : row)));
  return (
    <fieldset className="rows" aria-describedby={groupError ? errorId : undefined}>
      <legend>{legend}</legend>
      {rows.length === 0 ? <p className="muted">{t("editor.no_amounts")}</p> : null}
      {rows.map((row, index) => {
        const key = `${name}.${row.currency.trim().toUpperCase()}`;
        const message = row.currency.trim() ? errors[key] : undefined;
        const currencyId = `${errorId}-c${index}`;
        const amountId = `${errorId}-a${index}`;
        return (
          <div className="row-line" key={index}>
            <div className="field">
              <label htmlFor={currencyId}>{t("editor.currency")}</label>
              <input id={currencyId} name={`${name}.${index}.currency`} value={row.currency} maxLength={3} size={4} autoCapitalize="characters" onChange={(e) => update(index, { currency: e.target.value })} />
            </div>
            <div className="field">
              <label htmlFor={amountId}>{t("editor.amount")}</label>
              <input
                id={amountId}
                name={`${name}.${index}.amount`}
                value={row.amount}
                inputMode="decimal"
                size={10}
                aria-invalid={message ? true : undefined}
                aria-describedby={message ? `${amountId}-error` : undefined}
                onChange={(e) => update(index, { amount: e.target.value })}
              />
              {message ? (
                <small id={`${amountId}-error`} className="field-error">
                  {message}
                </small>
              ) : null}
            </div>
            <button type="button" className="secondary" onClick={() => onChange(rows.filter((_, i) => i !== index))}>
              {t("editor.remove_amount", { currency: row.currency || "—" })}
            </button>
          </div>
        );
      })}
      <button type="button" className="secondary" onClick={() => onChange([...rows, { currency: "", amount: "" }])}>
        {t("editor.add_amount")}
      </button>
      {groupError ? (
        <small id={errorId} className="field-error block">
          {groupError}
        </small>
      ) : null}
    </fieldset>
  );
}
