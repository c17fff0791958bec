// Small building blocks every page of the console uses: loading data, errors in the person's
// language (headline in role=alert, field messages next to their inputs), labelled fields, dates, money.
import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { ErrorHeadline, FieldFrame } from "../shared/forms";
import { describeError, type DescribedError } from "../shared/i18n";
import { formatMoney, type Money } from "../shared/money";

export function useLocale(): string {
  const { i18n } = useTranslation();
  return i18n.language || "en";
}

/** Load something when `deps` change; `reload()` fetches again. Stale answers are dropped. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    load(controller.signal)
      .then((value) => {
        if (!controller.signal.aborted) setData(value);
      })
      .catch((reason) => {
        if (!controller.signal.aborted && (reason as Error)?.name !== "AbortError") setError(reason);
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, setData, error, loading, reload };
}

/** An error turned into what the person reads (null when there is none). */
export function useDescribed(error: unknown): DescribedError | null {
  const { t } = useTranslation();
  return error ? describeError(error, t) : null;
}

export function ErrorAlert({ error }: { error: unknown }) {
  return <ErrorHeadline error={useDescribed(error)} />;
}

export function Loading({ when }: { when: boolean }) {
  const { t } = useTranslation();
  return when ? <p className="muted" aria-live="polite">{t("loading")}</p> : null;
}

interface FieldProps {
  label: string;
  name: string;
  value: string;
  onChange: (value: string) => void;
  errors?: Record<string, string>;
  errorKey?: string;
  type?: string;
  multiline?: boolean;
  rows?: number;
  required?: boolean;
  hint?: string;
  inputMode?: "decimal" | "numeric" | "text" | "search" | "email";
  testId?: string;
  options?: { value: string; label: string }[];
  autoComplete?: string;
}

/** A labelled input (or textarea / select) with its error message wired through aria-describedby. */
export function Field(props: FieldProps) {
  const message = props.errors?.[props.errorKey ?? props.name];
  const common = { name: props.name, value: props.value, "data-testid": props.testId, required: props.required };
  return (
    <FieldFrame label={props.label} error={message} hint={props.hint}>
      {(control) =>
        props.options ? (
          <select {...control} {...common} onChange={(e) => props.onChange(e.target.value)}>
            {props.options.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        ) : props.multiline ? (
          <textarea {...control} {...common} rows={props.rows ?? 4} onChange={(e) => props.onChange(e.target.value)} />
        ) : (
          <input
            {...control}
            {...common}
            type={props.type ?? "text"}
            inputMode={props.inputMode}
            autoComplete={props.autoComplete}
            onChange={(e) => props.onChange(e.target.value)}
          />
        )
      }
    </FieldFrame>
  );
}

export function MoneyText({ money }: { money: Money | null | undefined }) {
  const locale = useLocale();
  if (!money || typeof money.amount !== "string") return <>—</>;
  try {
    return <>{formatMoney(money, locale)}</>;
  } catch {
    return <>{`${money.amount} ${money.currency}`}</>;
  }
}

export function DateTime({ value }: { value: string | null | undefined }) {
  const locale = useLocale();
  if (!value) return <>—</>;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return <>{value}</>;
  return <time dateTime={value}>{new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "medium" }).format(date)}</time>;
}

/** A value that follows `value` after `ms` without changes (search-as-you-type). */
export function useDebounced<T>(value: T, ms = 350): T {
  const [settled, setSettled] = useState(value);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const handle = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(handle);
  }, [value, ms]);
  return settled;
}

/** A polite status message (role=status) for the outcome of an action. */
export function StatusMessage({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <p role="status" className="status" data-testid={testId}>
      {children}
    </p>
  );
}

export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}

/** First / next page of a cursor-paged list: `cursors` are the pages walked so far (empty: the first). */
export function Pager({ cursors, setCursors, next }: {
  cursors: string[];
  setCursors: (cursors: string[]) => void;
  next: string | null | undefined;
}) {
  const { t } = useTranslation();
  return (
    <div className="pager">
      {cursors.length > 0 ? (
        <button type="button" onClick={() => setCursors([])}>
          {t("first_page")}
        </button>
      ) : null}
      {next ? (
        <button type="button" data-testid="next-page" onClick={() => setCursors([...cursors, next])}>
          {t("next_page")}
        </button>
      ) : null}
    </div>
  );
}
