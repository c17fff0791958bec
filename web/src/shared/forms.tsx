// How both apps show an API error (the rule of web/README.md, once): the headline in the person's language
// in a role="alert" element (data-testid="form-error"), and each field's message next to its control,
// which is aria-invalid and points at the message (and at its hint) with aria-describedby.
import { useId, type ReactNode } from "react";
import type { DescribedError } from "./i18n";

export function ErrorHeadline({ error, testId = "form-error" }: { error: DescribedError | null; testId?: string }) {
  if (!error) return null;
  return (
    <p role="alert" className="error" data-testid={testId}>
      {error.message}
    </p>
  );
}

/** What a field's control carries: its id (the label's target) and the error and hint wiring. */
export interface ControlProps {
  id: string;
  "aria-invalid": true | undefined;
  "aria-describedby": string | undefined;
}

export function FieldFrame({ label, error, hint, children }: {
  label: string;
  error?: string;
  hint?: ReactNode;
  children: (control: ControlProps) => ReactNode;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [error ? errorId : null, hint ? hintId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-invalid": error ? true : undefined, "aria-describedby": describedBy })}
      {hint ? (
        <small id={hintId} className="muted">
          {hint}
        </small>
      ) : null}
      {error ? (
        <small id={errorId} className="field-error">
          {error}
        </small>
      ) : null}
    </div>
  );
}
