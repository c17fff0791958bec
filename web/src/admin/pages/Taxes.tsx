// Tax rates: the built-in table (a row per country, or per region of a country), an editor that sets
// a row (PUT, by country and region) and deletion. Rates stay decimal strings ("0.19").
import { useRef, useState, type FormEvent, type RefObject } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../../shared/api";
import { ErrorAlert, Field, Loading, StatusMessage, useLoad } from "../ui";
import { Checkbox, useFieldErrors } from "./editing";

interface TaxRate {
  country: string;
  region: string | null;
  name: string;
  standard: string;
  reduced: string;
  included: boolean;
}

interface TaxForm {
  country: string;
  region: string;
  name: string;
  standard: string;
  reduced: string;
  included: boolean;
}

const EMPTY: TaxForm = { country: "", region: "", name: "", standard: "", reduced: "0", included: true };
const rowKey = (rate: { country: string; region: string | null }) => `${rate.country}/${rate.region ?? ""}`;

export function taxBody(form: TaxForm): Record<string, unknown> {
  const body: Record<string, unknown> = {
    country: form.country.trim().toUpperCase(),
    name: form.name.trim(),
    standard: form.standard.trim(),
    reduced: form.reduced.trim(),
    included: form.included,
  };
  if (form.region.trim()) body.region = form.region.trim().toUpperCase();
  return body;
}

export default function Taxes() {
  const { t } = useTranslation();
  const { data, error, loading, reload } = useLoad((signal) => api<{ items: TaxRate[] }>("/api/v1/taxes/rates", { signal }), []);
  const [editing, setEditing] = useState<{ rate: TaxRate | null; key: number } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const counter = useRef(0);
  const editorHeading = useRef<HTMLHeadingElement>(null);
  const rates = data?.items ?? [];

  function open(rate: TaxRate | null) {
    counter.current += 1;
    setNotice(null);
    setActionError(null);
    setEditing({ rate, key: counter.current });
    setTimeout(() => editorHeading.current?.focus(), 0);
  }

  async function remove(rate: TaxRate) {
    setActionError(null);
    setNotice(null);
    try {
      await api(`/api/v1/taxes/rates/${encodeURIComponent(rate.country)}`, { method: "DELETE", query: rate.region ? { region: rate.region } : undefined });
      setNotice(t("taxes.deleted", { country: rate.country, region: rate.region ?? "" }));
      setConfirming(null);
      if (editing?.rate && rowKey(editing.rate) === rowKey(rate)) setEditing(null);
      reload();
    } catch (reason) {
      setActionError(reason);
      setConfirming(null);
    }
  }

  return (
    <>
      <div className="title-row">
        <h1>{t("taxes.title")}</h1>
        <button type="button" data-testid="new-tax" onClick={() => open(null)}>
          {t("taxes.new")}
        </button>
      </div>
      <ErrorAlert error={error ?? actionError} />
      <Loading when={loading} />
      {notice ? <StatusMessage>{notice}</StatusMessage> : null}
      {editing ? (
        <TaxEditor
          key={editing.key}
          rate={editing.rate}
          headingRef={editorHeading}
          onSaved={(rate) => {
            reload();
            setEditing((current) => (current ? { rate, key: current.key } : current));
          }}
          onClose={() => setEditing(null)}
        />
      ) : null}
      {rates.length > 0 ? (
        <div className="scroll" tabIndex={0} role="region" aria-label={t("taxes.title")}>
          <table>
            <caption className="visually-hidden">{t("taxes.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("taxes.country")}</th>
                <th scope="col">{t("taxes.region")}</th>
                <th scope="col">{t("taxes.name")}</th>
                <th scope="col">{t("taxes.standard")}</th>
                <th scope="col">{t("taxes.reduced")}</th>
                <th scope="col">{t("taxes.included")}</th>
                <th scope="col">{t("editor.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {rates.map((rate) => {
                const key = rowKey(rate);
                const label = rate.region ? `${rate.country}-${rate.region}` : rate.country;
                return (
                  <tr key={key} data-testid="tax-row" data-country={rate.country} data-region={rate.region ?? ""}>
                    <th scope="row">{rate.country}</th>
                    <td>{rate.region ?? "—"}</td>
                    <td>{rate.name}</td>
                    <td>{rate.standard}</td>
                    <td>{rate.reduced}</td>
                    <td>{rate.included ? t("yes") : t("no")}</td>
                    <td className="row-actions">
                      <button type="button" className="secondary" onClick={() => open(rate)}>
                        {t("editor.edit")}
                        <span className="visually-hidden"> {label}</span>
                      </button>
                      {confirming === key ? (
                        <>
                          <button type="button" className="danger" onClick={() => void remove(rate)}>
                            {t("taxes.confirm_delete", { label })}
                          </button>
                          <button type="button" className="secondary" onClick={() => setConfirming(null)}>
                            {t("editor.cancel")}
                          </button>
                        </>
                      ) : (
                        <button type="button" className="danger" onClick={() => setConfirming(key)}>
                          {t("editor.delete")}
                          <span className="visually-hidden"> {label}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : data ? (
        <p className="muted">{t("empty")}</p>
      ) : null}
    </>
  );
}

function TaxEditor({ rate, headingRef, onSaved, onClose }: { rate: TaxRate | null; headingRef: RefObject<HTMLHeadingElement | null>; onSaved: (rate: TaxRate) => void; onClose: () => void }) {
  const { t } = useTranslation();
  const [form, setForm] = useState<TaxForm>(() =>
    rate ? { country: rate.country, region: rate.region ?? "", name: rate.name, standard: rate.standard, reduced: rate.reduced, included: rate.included } : EMPTY,
  );
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const fields = useFieldErrors(error);
  const set = (key: keyof TaxForm) => (value: string) => setForm((f) => ({ ...f, [key]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const answer = await api<TaxRate>("/api/v1/taxes/rates", { method: "PUT", body: taxBody(form) });
      setSaved(t("taxes.saved", { country: answer.country ?? form.country }));
      onSaved(answer && answer.country ? answer : { ...form, region: form.region || null });
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  }

  const label = rate ? (rate.region ? `${rate.country}-${rate.region}` : rate.country) : "";
  return (
    <section className="card" aria-labelledby="tax-editor">
      <h2 id="tax-editor" ref={headingRef} tabIndex={-1}>
        {rate ? t("taxes.edit_title", { label }) : t("taxes.new_title")}
      </h2>
      <form onSubmit={submit} noValidate className="form-grid">
        <ErrorAlert error={error} />
        {rate ? (
          <p className="muted full">{t("taxes.key_fixed")}</p>
        ) : null}
        <Field label={t("taxes.country")} name="country" value={form.country} onChange={set("country")} errors={fields} required hint={t("taxes.country_hint")} />
        <Field label={t("taxes.region")} name="region" value={form.region} onChange={set("region")} errors={fields} hint={t("taxes.region_hint")} />
        <Field label={t("taxes.name")} name="name" value={form.name} onChange={set("name")} errors={fields} required />
        <Field label={t("taxes.standard")} name="standard" value={form.standard} onChange={set("standard")} errors={fields} required inputMode="decimal" hint={t("taxes.rate_hint")} />
        <Field label={t("taxes.reduced")} name="reduced" value={form.reduced} onChange={set("reduced")} errors={fields} required inputMode="decimal" hint={t("taxes.rate_hint")} />
        <Checkbox label={t("taxes.included_label")} name="included" checked={form.included} onChange={(included) => setForm((f) => ({ ...f, included }))} errors={fields} />
        <div className="actions">
          <button type="submit" data-testid="save-tax" disabled={busy}>
            {t("taxes.save")}
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
