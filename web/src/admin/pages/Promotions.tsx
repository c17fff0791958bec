// Promotion codes: the list with how often each was redeemed, and an editor (POST a new code, PATCH
// an existing one's terms): kind (percentage, fixed per currency, free shipping), minimum subtotal
// per currency, validity window, usage limits, combinable, active. Amounts stay decimal strings.
import { useRef, useState, type FormEvent, type RefObject } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../../shared/api";
import { DateTime, ErrorAlert, Field, Loading, MoneyText, StatusMessage, useLoad } from "../ui";
import { AmountRows, Checkbox, fromAmountRows, fromLocalInput, optionalInteger, toAmountRows, toLocalInput, useFieldErrors, type AmountRow } from "./editing";

interface Promotion {
  code: string;
  kind: "percentage" | "fixed" | "free_shipping";
  percent: string | null;
  amounts: Record<string, string>;
  minimum_subtotal: Record<string, string>;
  starts_at: string | null;
  ends_at: string | null;
  usage_limit: number | null;
  per_customer_limit: number | null;
  combinable: boolean;
  active: boolean;
  redeemed: number;
}

interface PromotionForm {
  code: string;
  kind: string;
  percent: string;
  amounts: AmountRow[];
  minimum_subtotal: AmountRow[];
  starts_at: string;
  ends_at: string;
  usage_limit: string;
  per_customer_limit: string;
  combinable: boolean;
  active: boolean;
}

const KINDS = ["percentage", "fixed", "free_shipping"];

function toForm(p: Promotion | null): PromotionForm {
  if (!p)
    return { code: "", kind: "percentage", percent: "", amounts: [], minimum_subtotal: [], starts_at: "", ends_at: "", usage_limit: "", per_customer_limit: "", combinable: false, active: true };
  return {
    code: p.code,
    kind: p.kind,
    percent: p.percent ?? "",
    amounts: toAmountRows(p.amounts),
    minimum_subtotal: toAmountRows(p.minimum_subtotal),
    starts_at: toLocalInput(p.starts_at),
    ends_at: toLocalInput(p.ends_at),
    usage_limit: p.usage_limit === null || p.usage_limit === undefined ? "" : String(p.usage_limit),
    per_customer_limit: p.per_customer_limit === null || p.per_customer_limit === undefined ? "" : String(p.per_customer_limit),
    combinable: !!p.combinable,
    active: p.active !== false,
  };
}

/** The whole body (the API's PATCH wants the full terms too): only the kind's own value is sent. */
export function promotionBody(form: PromotionForm): Record<string, unknown> {
  return {
    code: form.code.trim(),
    kind: form.kind,
    percent: form.kind === "percentage" ? form.percent.trim() || null : null,
    amounts: form.kind === "fixed" ? fromAmountRows(form.amounts) : {},
    minimum_subtotal: fromAmountRows(form.minimum_subtotal),
    starts_at: fromLocalInput(form.starts_at),
    ends_at: fromLocalInput(form.ends_at),
    usage_limit: optionalInteger(form.usage_limit),
    per_customer_limit: optionalInteger(form.per_customer_limit),
    combinable: form.combinable,
    active: form.active,
  };
}

export default function Promotions() {
  const { t } = useTranslation();
  const { data, error, loading, reload } = useLoad((signal) => api<{ items: Promotion[] }>("/api/v1/promotions", { query: { limit: 100 }, signal }), []);
  const [editing, setEditing] = useState<{ promotion: Promotion | null; key: number } | null>(null);
  const counter = useRef(0);
  const editorHeading = useRef<HTMLHeadingElement>(null);
  const promotions = data?.items ?? [];

  function open(promotion: Promotion | null) {
    counter.current += 1;
    setEditing({ promotion, key: counter.current });
    setTimeout(() => editorHeading.current?.focus(), 0);
  }

  return (
    <>
      <div className="title-row">
        <h1>{t("promotions.title")}</h1>
        <button type="button" data-testid="new-promotion" onClick={() => open(null)}>
          {t("promotions.new")}
        </button>
      </div>
      <ErrorAlert error={error} />
      <Loading when={loading} />
      {editing ? (
        <PromotionEditor
          key={editing.key}
          promotion={editing.promotion}
          headingRef={editorHeading}
          onSaved={(promotion) => {
            reload();
            setEditing((current) => (current ? { promotion, key: current.key } : current));
          }}
          onClose={() => setEditing(null)}
        />
      ) : null}
      {promotions.length > 0 ? (
        <div className="scroll" tabIndex={0} role="region" aria-label={t("promotions.title")}>
          <table>
            <caption className="visually-hidden">{t("promotions.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("promotions.code")}</th>
                <th scope="col">{t("promotions.kind")}</th>
                <th scope="col">{t("promotions.value")}</th>
                <th scope="col">{t("promotions.minimum")}</th>
                <th scope="col">{t("promotions.window")}</th>
                <th scope="col">{t("promotions.limits")}</th>
                <th scope="col">{t("promotions.redeemed")}</th>
                <th scope="col">{t("promotions.state")}</th>
                <th scope="col">{t("editor.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {promotions.map((p) => (
                <tr key={p.code} data-testid="promotion-row" data-code={p.code}>
                  <th scope="row">
                    <code>{p.code}</code>
                  </th>
                  <td>{t(`promotions.kind_${p.kind}`, { defaultValue: p.kind })}</td>
                  <td>
                    {p.kind === "percentage" && p.percent ? t("promotions.percent_value", { percent: p.percent }) : null}
                    {p.kind === "fixed" ? <AmountList amounts={p.amounts} /> : null}
                    {p.kind === "free_shipping" ? "—" : null}
                  </td>
                  <td>
                    <AmountList amounts={p.minimum_subtotal} />
                  </td>
                  <td>
                    {p.starts_at || p.ends_at ? (
                      <>
                        <DateTime value={p.starts_at} /> – <DateTime value={p.ends_at} />
                      </>
                    ) : (
                      t("promotions.always")
                    )}
                  </td>
                  <td>
                    {t("promotions.limits_value", {
                      total: p.usage_limit === null ? "∞" : String(p.usage_limit),
                      perCustomer: p.per_customer_limit === null ? "∞" : String(p.per_customer_limit),
                    })}
                  </td>
                  <td data-testid="promotion-redeemed">{p.redeemed}</td>
                  <td>
                    <span className={p.active ? "badge ok" : "badge"}>{p.active ? t("promotions.active") : t("promotions.inactive")}</span>
                    {p.combinable ? <span className="badge">{t("promotions.combinable_badge")}</span> : null}
                  </td>
                  <td>
                    <button type="button" className="secondary" onClick={() => open(p)}>
                      {t("editor.edit")}
                      <span className="visually-hidden"> {p.code}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : data ? (
        <p className="muted">{t("empty")}</p>
      ) : null}
    </>
  );
}

function AmountList({ amounts }: { amounts: Record<string, string> | null | undefined }) {
  const entries = Object.entries(amounts ?? {});
  if (entries.length === 0) return <>—</>;
  return (
    <ul className="plain">
      {entries.map(([currency, amount]) => (
        <li key={currency}>
          <MoneyText money={{ amount: String(amount), currency }} />
        </li>
      ))}
    </ul>
  );
}

function PromotionEditor({ promotion, headingRef, onSaved, onClose }: { promotion: Promotion | null; headingRef: RefObject<HTMLHeadingElement | null>; onSaved: (p: Promotion) => void; onClose: () => void }) {
  const { t } = useTranslation();
  const [form, setForm] = useState<PromotionForm>(() => toForm(promotion));
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const fields = useFieldErrors(error);
  const set = (key: "code" | "kind" | "percent" | "starts_at" | "ends_at" | "usage_limit" | "per_customer_limit") => (value: string) => setForm((f) => ({ ...f, [key]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const body = promotionBody(form);
      const answer = promotion
        ? await api<Promotion>(`/api/v1/promotions/${encodeURIComponent(promotion.code)}`, { method: "PATCH", body })
        : await api<Promotion>("/api/v1/promotions", { method: "POST", body });
      setSaved(t(promotion ? "promotions.saved" : "promotions.created", { code: answer.code }));
      onSaved(answer);
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="promotion-editor">
      <h2 id="promotion-editor" ref={headingRef} tabIndex={-1}>
        {promotion ? t("promotions.edit_title", { code: promotion.code }) : t("promotions.new_title")}
      </h2>
      {promotion ? (
        <p data-testid="promotion-redeemed-count">{t("promotions.redeemed_count", { count: promotion.redeemed })}</p>
      ) : null}
      <form onSubmit={submit} noValidate>
        <ErrorAlert error={error} />
        <div className="form-grid">
          {promotion ? (
            <div className="field">
              <span className="label">{t("promotions.code")}</span>
              <code>{promotion.code}</code>
            </div>
          ) : (
            <Field label={t("promotions.code")} name="code" value={form.code} onChange={set("code")} errors={fields} required hint={t("promotions.code_hint")} />
          )}
          <Field label={t("promotions.kind")} name="kind" value={form.kind} onChange={set("kind")} errors={fields} options={KINDS.map((k) => ({ value: k, label: t(`promotions.kind_${k}`) }))} />
          {form.kind === "percentage" ? (
            <Field label={t("promotions.percent")} name="percent" value={form.percent} onChange={set("percent")} errors={fields} inputMode="decimal" required hint={t("promotions.percent_hint")} />
          ) : null}
          <Field label={t("promotions.starts_at")} name="starts_at" type="datetime-local" value={form.starts_at} onChange={set("starts_at")} errors={fields} />
          <Field label={t("promotions.ends_at")} name="ends_at" type="datetime-local" value={form.ends_at} onChange={set("ends_at")} errors={fields} />
          <Field label={t("promotions.usage_limit")} name="usage_limit" value={form.usage_limit} onChange={set("usage_limit")} errors={fields} inputMode="numeric" hint={t("promotions.limit_hint")} />
          <Field label={t("promotions.per_customer_limit")} name="per_customer_limit" value={form.per_customer_limit} onChange={set("per_customer_limit")} errors={fields} inputMode="numeric" hint={t("promotions.limit_hint")} />
          <Checkbox label={t("promotions.combinable")} name="combinable" checked={form.combinable} onChange={(combinable) => setForm((f) => ({ ...f, combinable }))} errors={fields} />
          <Checkbox label={t("promotions.active_label")} name="active" checked={form.active} onChange={(active) => setForm((f) => ({ ...f, active }))} errors={fields} />
        </div>
        {form.kind === "fixed" ? (
          <AmountRows legend={t("promotions.amounts")} name="amounts" rows={form.amounts} onChange={(amounts) => setForm((f) => ({ ...f, amounts }))} errors={fields} />
        ) : null}
        <AmountRows legend={t("promotions.minimum_subtotal")} name="minimum_subtotal" rows={form.minimum_subtotal} onChange={(minimum_subtotal) => setForm((f) => ({ ...f, minimum_subtotal }))} errors={fields} />
        <div className="actions">
          <button type="submit" data-testid="save-promotion" disabled={busy}>
            {promotion ? t("promotions.save") : t("promotions.create")}
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            {t("editor.close")}
          </button>
        </div>
        {saved ? <StatusMessage>{saved}</StatusMessage> : null}
      </form>
    </section>
  );
}
