// Small building blocks: a labelled field with its error, an error headline, money.
import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from "react";
import { useTranslation } from "react-i18next";
import { describeError, type DescribedError } from "../shared/i18n";
import { formatMoney, type Money } from "../shared/money";
import { useStore } from "./context";

export function Price({ money, testId }: { money: Money | null | undefined; testId?: string }) {
  const { locale } = useStore();
  if (!money) return null;
  return <span data-testid={testId}>{formatMoney(money, locale)}</span>;
}

export function useDescribe(): (error: unknown) => DescribedError {
  const { t } = useTranslation();
  return (error: unknown) => describeError(error, t);
}

export function FormError({ error, testId = "form-error" }: { error: DescribedError | null; testId?: string }) {
  if (!error) return null;
  return (
    <p role="alert" className="error" data-testid={testId}>
      {error.message}
    </p>
  );
}

interface FieldProps extends InputHTMLAttributes<HTMLInputElement> {
  label: string;
  name: string;
  error?: string;
  hint?: ReactNode;
}

export function Field({ label, name, error, hint, ...input }: FieldProps) {
  const id = useId();
  const errorId = `${id}-error`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} name={name} aria-invalid={error ? true : undefined} aria-describedby={error ? errorId : undefined} {...input} />
      {hint}
      {error && (
        <span id={errorId} className="field-error">
          {error}
        </span>
      )}
    </div>
  );
}

interface SelectFieldProps extends SelectHTMLAttributes<HTMLSelectElement> {
  label: string;
  error?: string;
  children: ReactNode;
}

export function SelectField({ label, error, children, ...select }: SelectFieldProps) {
  const id = useId();
  const errorId = `${id}-error`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} aria-invalid={error ? true : undefined} aria-describedby={error ? errorId : undefined} {...select}>
        {children}
      </select>
      {error && (
        <span id={errorId} className="field-error">
          {error}
        </span>
      )}
    </div>
  );
}

export function Loading() {
  const { t } = useTranslation();
  return <p aria-live="polite">{t("loading")}</p>;
}

/** Format an ISO timestamp in the shopper's locale. */
export function When({ at }: { at: string }) {
  const { locale } = useStore();
  const date = new Date(at);
  return <time dateTime={at}>{Number.isNaN(date.getTime()) ? at : date.toLocaleString(locale)}</time>;
}
