// Small building blocks: a labelled field with its error, an error headline, money.
import { type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from "react";
import { useTranslation } from "react-i18next";
import { ErrorHeadline, FieldFrame } from "../shared/forms";
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

export function FormError({ error, testId }: { error: DescribedError | null; testId?: string }) {
  return <ErrorHeadline error={error} testId={testId} />;
}

interface FieldProps extends InputHTMLAttributes<HTMLInputElement> {
  label: string;
  name: string;
  error?: string;
  hint?: ReactNode;
}

export function Field({ label, name, error, hint, ...input }: FieldProps) {
  return (
    <FieldFrame label={label} error={error} hint={hint}>
      {(control) => <input name={name} {...control} {...input} />}
    </FieldFrame>
  );
}

interface SelectFieldProps extends SelectHTMLAttributes<HTMLSelectElement> {
  label: string;
  error?: string;
  children: ReactNode;
}

export function SelectField({ label, error, children, ...select }: SelectFieldProps) {
  return (
    <FieldFrame label={label} error={error}>
      {(control) => (
        <select {...control} {...select}>
          {children}
        </select>
      )}
    </FieldFrame>
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
