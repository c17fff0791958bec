// Shipping zones: the list, and an editor for one zone (name, countries, and its methods: flat,
// by weight band or by subtotal band; free above; delivery days). Create (POST), replace (PUT), delete.
import { useRef, useState, type FormEvent, type RefObject } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../../shared/api";
import { ErrorAlert, Field, Loading, StatusMessage, useLoad } from "../ui";
import { integerValue, optionalDecimal, useFieldErrors } from "./editing";

interface Band {
  up_to: string | number | null;
  amount: string | number;
}
interface Method {
  id: string;
  name: string;
  rate_type: "flat" | "weight" | "subtotal";
  amount: string | number | null;
  bands: Band[];
  free_above: string | number | null;
  min_days: number;
  max_days: number;
}
interface Zone {
  id: string;
  name: string;
  countries: string[];
  methods: Method[];
}

interface BandForm {
  up_to: string;
  amount: string;
}
interface MethodForm {
  id: string;
  name: string;
  rate_type: string;
  amount: string;
  bands: BandForm[];
  free_above: string;
  min_days: string;
  max_days: string;
}
interface ZoneForm {
  name: string;
  countries: string;
  methods: MethodForm[];
}

const RATE_TYPES = ["flat", "weight", "subtotal"];
const text = (value: unknown) => (value === null || value === undefined ? "" : String(value));

function emptyMethod(): MethodForm {
  return { id: "", name: "", rate_type: "flat", amount: "", bands: [], free_above: "", min_days: "1", max_days: "3" };
}

function toForm(zone: Zone | null): ZoneForm {
  if (!zone) return { name: "", countries: "", methods: [emptyMethod()] };
  return {
    name: zone.name,
    countries: zone.countries.join(", "),
    methods: zone.methods.map((m) => ({
      id: m.id,
      name: m.name,
      rate_type: m.rate_type,
      amount: text(m.amount),
      bands: (m.bands ?? []).map((b) => ({ up_to: text(b.up_to), amount: text(b.amount) })),
      free_above: text(m.free_above),
      min_days: text(m.min_days),
      max_days: text(m.max_days),
    })),
  };
}

/** The API's body of a zone form: amounts stay decimal strings; a flat method has no bands, a banded one no amount. */
export function zoneBody(form: ZoneForm): Record<string, unknown> {
  return {
    name: form.name.trim(),
    countries: form.countries.split(/[\s,;]+/).map((c) => c.trim().toUpperCase()).filter(Boolean),
    methods: form.methods.map((m) => ({
      id: m.id.trim(),
      name: m.name.trim(),
      rate_type: m.rate_type,
      amount: m.rate_type === "flat" ? optionalDecimal(m.amount) : null,
      bands: m.rate_type === "flat" ? [] : m.bands.map((b) => ({ up_to: optionalDecimal(b.up_to), amount: b.amount.trim() })),
      free_above: optionalDecimal(m.free_above),
      min_days: integerValue(m.min_days),
      max_days: integerValue(m.max_days),
    })),
  };
}

export default function Shipping() {
  const { t } = useTranslation();
  const { data, error, loading, reload } = useLoad((signal) => api<{ items: Zone[] }>("/api/v1/shipping/zones", { signal }), []);
  const [editing, setEditing] = useState<{ zone: Zone | null; key: number } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const counter = useRef(0);
  const editorHeading = useRef<HTMLHeadingElement>(null);
  const zones = data?.items ?? [];

  function open(zone: Zone | null) {
    counter.current += 1;
    setNotice(null);
    setEditing({ zone, key: counter.current });
    setTimeout(() => editorHeading.current?.focus(), 0);
  }

  return (
    <>
      <div className="title-row">
        <h1>{t("shipping.title")}</h1>
        <button type="button" data-testid="new-zone" onClick={() => open(null)}>
          {t("shipping.new")}
        </button>
      </div>
      <ErrorAlert error={error} />
      <Loading when={loading} />
      {notice ? <StatusMessage>{notice}</StatusMessage> : null}
      {zones.length > 0 ? (
        <div className="scroll" tabIndex={0} role="region" aria-label={t("shipping.title")}>
          <table>
            <caption className="visually-hidden">{t("shipping.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("shipping.name")}</th>
                <th scope="col">{t("shipping.countries")}</th>
                <th scope="col">{t("shipping.methods")}</th>
                <th scope="col">{t("editor.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {zones.map((zone) => (
                <tr key={zone.id} data-testid="zone-row" data-id={zone.id}>
                  <th scope="row">{zone.name}</th>
                  <td>{zone.countries.join(", ")}</td>
                  <td>
                    <ul className="plain">
                      {zone.methods.map((m) => (
                        <li key={m.id}>
                          {m.name} <span className="muted">({t(`shipping.rate_type_${m.rate_type}`, { defaultValue: m.rate_type })}, {t("shipping.days", { min: m.min_days, max: m.max_days })})</span>
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td>
                    <button type="button" className="secondary" onClick={() => open(zone)}>
                      {t("editor.edit")}
                      <span className="visually-hidden"> {zone.name}</span>
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
      {editing ? (
        <ZoneEditor
          key={editing.key}
          zone={editing.zone}
          headingRef={editorHeading}
          onSaved={(zone) => {
            reload();
            setEditing((current) => (current ? { zone, key: current.key } : current));
          }}
          onDeleted={(name) => {
            reload();
            setEditing(null);
            setNotice(t("shipping.deleted", { name }));
          }}
          onClose={() => setEditing(null)}
        />
      ) : null}
    </>
  );
}

function ZoneEditor({ zone, headingRef, onSaved, onDeleted, onClose }: { zone: Zone | null; headingRef: RefObject<HTMLHeadingElement | null>; onSaved: (zone: Zone) => void; onDeleted: (name: string) => void; onClose: () => void }) {
  const { t } = useTranslation();
  const [form, setForm] = useState<ZoneForm>(() => toForm(zone));
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const fields = useFieldErrors(error);

  const setMethod = (index: number, patch: Partial<MethodForm>) => setForm((f) => ({ ...f, methods: f.methods.map((m, i) => (i === index ? { ...m, ...patch } : m)) }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const body = zoneBody(form);
      const answer = zone
        ? await api<Zone>(`/api/v1/shipping/zones/${encodeURIComponent(zone.id)}`, { method: "PUT", body })
        : await api<Zone>("/api/v1/shipping/zones", { method: "POST", body });
      setSaved(t(zone ? "shipping.saved" : "shipping.created", { name: answer.name }));
      onSaved(answer);
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    if (!zone) return;
    setBusy(true);
    setError(null);
    try {
      await api(`/api/v1/shipping/zones/${encodeURIComponent(zone.id)}`, { method: "DELETE" });
      onDeleted(zone.name);
    } catch (reason) {
      setError(reason);
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="zone-editor">
      <h2 id="zone-editor" ref={headingRef} tabIndex={-1}>
        {zone ? t("shipping.edit_title", { name: zone.name }) : t("shipping.new_title")}
      </h2>
      <form onSubmit={submit} noValidate>
        <ErrorAlert error={error} />
        <div className="form-grid">
          <Field label={t("shipping.name")} name="name" value={form.name} onChange={(name) => setForm((f) => ({ ...f, name }))} errors={fields} required />
          <Field label={t("shipping.countries")} name="countries" value={form.countries} onChange={(countries) => setForm((f) => ({ ...f, countries }))} errors={fields} required hint={t("shipping.countries_hint")} />
        </div>
        {fields["methods"] && !form.methods.some((_, i) => Object.keys(fields).some((k) => k.startsWith(`methods.${i}`))) ? <p className="field-error">{fields["methods"]}</p> : null}
        {form.methods.map((method, index) => (
          <fieldset key={index} className="method" data-testid="zone-method">
            <legend>{t("shipping.method_legend", { number: index + 1, name: method.name || "—" })}</legend>
            <div className="form-grid">
              <Field label={t("shipping.method_id")} name={`methods.${index}.id`} value={method.id} onChange={(id) => setMethod(index, { id })} errors={fields} required hint={t("shipping.method_id_hint")} />
              <Field label={t("shipping.method_name")} name={`methods.${index}.name`} value={method.name} onChange={(name) => setMethod(index, { name })} errors={fields} required />
              <Field
                label={t("shipping.rate_type")}
                name={`methods.${index}.rate_type`}
                value={method.rate_type}
                onChange={(rate_type) => setMethod(index, { rate_type, bands: rate_type !== "flat" && method.bands.length === 0 ? [{ up_to: "", amount: "" }] : method.bands })}
                errors={fields}
                options={RATE_TYPES.map((r) => ({ value: r, label: t(`shipping.rate_type_${r}`) }))}
              />
              {method.rate_type === "flat" ? (
                <Field label={t("shipping.amount")} name={`methods.${index}.amount`} value={method.amount} onChange={(amount) => setMethod(index, { amount })} errors={fields} inputMode="decimal" hint={t("shipping.amount_hint")} />
              ) : null}
              <Field label={t("shipping.free_above")} name={`methods.${index}.free_above`} value={method.free_above} onChange={(free_above) => setMethod(index, { free_above })} errors={fields} inputMode="decimal" hint={t("shipping.free_above_hint")} />
              <Field label={t("shipping.min_days")} name={`methods.${index}.min_days`} value={method.min_days} onChange={(min_days) => setMethod(index, { min_days })} errors={fields} inputMode="numeric" />
              <Field label={t("shipping.max_days")} name={`methods.${index}.max_days`} value={method.max_days} onChange={(max_days) => setMethod(index, { max_days })} errors={fields} inputMode="numeric" />
            </div>
            {method.rate_type !== "flat" ? (
              <Bands
                methodIndex={index}
                unit={method.rate_type === "weight" ? t("shipping.up_to_grams") : t("shipping.up_to_subtotal")}
                bands={method.bands}
                errors={fields}
                onChange={(bands) => setMethod(index, { bands })}
              />
            ) : null}
            <button type="button" className="secondary" onClick={() => setForm((f) => ({ ...f, methods: f.methods.filter((_, i) => i !== index) }))}>
              {t("shipping.remove_method", { number: index + 1 })}
            </button>
          </fieldset>
        ))}
        <div className="actions">
          <button type="button" className="secondary" onClick={() => setForm((f) => ({ ...f, methods: [...f.methods, emptyMethod()] }))}>
            {t("shipping.add_method")}
          </button>
        </div>
        <div className="actions">
          <button type="submit" data-testid="save-zone" disabled={busy}>
            {zone ? t("shipping.save") : t("shipping.create")}
          </button>
          <button type="button" className="secondary" onClick={onClose}>
            {t("editor.close")}
          </button>
          {zone && !confirming ? (
            <button type="button" className="danger" disabled={busy} onClick={() => setConfirming(true)}>
              {t("shipping.delete")}
            </button>
          ) : null}
          {zone && confirming ? (
            <>
              <button type="button" className="danger" data-testid="confirm-delete-zone" disabled={busy} onClick={() => void remove()}>
                {t("shipping.confirm_delete", { name: zone.name })}
              </button>
              <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                {t("editor.cancel")}
              </button>
            </>
          ) : null}
        </div>
        {saved ? <StatusMessage>{saved}</StatusMessage> : null}
      </form>
    </section>
  );
}

function Bands({ methodIndex, unit, bands, errors, onChange }: { methodIndex: number; unit: string; bands: BandForm[]; errors: Record<string, string>; onChange: (bands: BandForm[]) => void }) {
  const { t } = useTranslation();
  const update = (index: number, patch: Partial<BandForm>) => onChange(bands.map((b, i) => (i === index ? { ...b, ...patch } : b)));
  const base = `methods.${methodIndex}.bands`;
  return (
    <fieldset className="rows">
      <legend>{t("shipping.bands")}</legend>
      {bands.map((band, index) => (
        <div className="row-line" key={index}>
          <Field label={unit} name={`${base}.${index}.up_to`} value={band.up_to} onChange={(up_to) => update(index, { up_to })} errors={errors} inputMode="decimal" hint={index === bands.length - 1 ? t("shipping.up_to_hint") : undefined} />
          <Field label={t("shipping.band_amount")} name={`${base}.${index}.amount`} value={band.amount} onChange={(amount) => update(index, { amount })} errors={errors} inputMode="decimal" />
          <button type="button" className="secondary" onClick={() => onChange(bands.filter((_, i) => i !== index))}>
            {t("shipping.remove_band", { number: index + 1 })}
          </button>
        </div>
      ))}
      {errors[base] && !bands.some((_, i) => errors[`${base}.${i}`]) ? <p className="field-error">{errors[base]}</p> : null}
      <button type="button" className="secondary" onClick={() => onChange([...bands, { up_to: "", amount: "" }])}>
        {t("shipping.add_band")}
      </button>
    </fieldset>
  );
}
