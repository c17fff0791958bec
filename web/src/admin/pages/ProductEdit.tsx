// One product: create (POST with an Idempotency-Key) or edit (PATCH of what changed), its fixed prices per
// currency (rows added and removed; PATCH sends null for a removed one), its stock (PUT …/inventory) and its
// text per locale side by side (PUT …/localizations/{locale}).
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { api, newIdempotencyKey } from "../../shared/api";
import { describeError, UI_LOCALES } from "../../shared/i18n";
import type { Money } from "../../shared/money";
import { ErrorAlert, Field, Loading, MoneyText, StatusMessage, useLoad } from "../ui";
import { PRODUCT_STATUSES } from "./Products";

interface StockLevel {
  sku: string | null;
  available: number;
  held: number;
  sold: number;
}
interface Variant {
  sku: string;
  attributes: Record<string, unknown>;
  base_price: Money | null;
  weight_grams?: number;
}
interface Product {
  id: string;
  name: string;
  description: string;
  category: string;
  base_price: Money;
  status?: string;
  slug: string;
  images?: string[];
  weight_grams: number;
  tax_class: string;
  sku?: string | null;
  variants?: Variant[];
  prices?: Record<string, string>;
}

/** One row of the fixed prices editor: a currency and its amount (strings, as typed). */
export interface PriceRow {
  currency: string;
  amount: string;
}
interface Localization {
  locale: string;
  name: string;
  description: string;
  slug: string | null;
}

type Form = Record<"name" | "description" | "category" | "base_price" | "status" | "slug" | "images" | "weight_grams" | "tax_class" | "sku", string>;

const EMPTY: Form = { name: "", description: "", category: "", base_price: "", status: "active", slug: "", images: "", weight_grams: "0", tax_class: "standard", sku: "" };
const TAX_CLASSES = ["standard", "reduced", "zero"];

function toRows(prices: Record<string, string> | undefined): PriceRow[] {
  return Object.entries(prices ?? {}).map(([currency, amount]) => ({ currency, amount }));
}

/** The fixed prices of the rows (blank rows left out; codes upper case). */
function rowPrices(rows: PriceRow[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const row of rows) {
    const code = row.currency.trim().toUpperCase();
    if (code || row.amount.trim()) out[code] = row.amount.trim();
  }
  return out;
}

/** What a PATCH sends for the rows against the stored prices: changed or new amounts, null for a removed one. */
export function pricesChange(before: Record<string, string>, rows: PriceRow[]): Record<string, string | null> {
  const after = rowPrices(rows);
  const change: Record<string, string | null> = {};
  for (const [code, amount] of Object.entries(after)) if (before[code] !== amount) change[code] = amount;
  for (const code of Object.keys(before)) if (!(code in after)) change[code] = null;
  return change;
}

function toForm(product: Product): Form {
  return {
    name: product.name ?? "",
    description: product.description ?? "",
    category: product.category ?? "",
    base_price: product.base_price?.amount ?? "",
    status: product.status ?? "active",
    slug: product.slug ?? "",
    images: (product.images ?? []).join("\n"),
    weight_grams: String(product.weight_grams ?? 0),
    tax_class: product.tax_class ?? "standard",
    sku: product.sku ?? "",
  };
}

/** The API's value of one form field (base_price stays a decimal string; never a float). */
function apiValue(key: keyof Form, value: string): unknown {
  if (key === "images") return value.split(/\s+/).map((url) => url.trim()).filter(Boolean);
  if (key === "weight_grams") return /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
  if (key === "base_price") return value.trim();
  return value;
}

/** Field errors by the form's field (nested paths such as images.1 land on "images"). */
export function byField(fields: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, message] of Object.entries(fields)) {
    out[path] = message;
    const top = path.split(".")[0];
    if (!(top in out)) out[top] = message;
  }
  return out;
}

export default function ProductEdit() {
  const { id } = useParams();
  const { t } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  const created = (location.state as { created?: boolean } | null)?.created;
  const { data: product, error: loadError, loading, reload } = useLoad(
    (signal) => (id ? api<Product>(`/api/v1/products/${id}`, { query: { locale: "en" }, signal }) : Promise.resolve(null)),
    [id],
  );
  const [form, setForm] = useState<Form>(EMPTY);
  const [prices, setPrices] = useState<PriceRow[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(created ? t("product.created") : null);
  const [busy, setBusy] = useState(false);
  const attempt = useRef<{ key: string; body: string } | null>(null);

  useEffect(() => {
    if (product) {
      setForm(toForm(product));
      setPrices(toRows(product.prices));
    } else if (!id) {
      setForm(EMPTY);
      setPrices([]);
    }
  }, [product, id]);

  const fields = error ? byField(describeError(error, t).fields) : {};
  const set = (key: keyof Form) => (value: string) => setForm((f) => ({ ...f, [key]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      if (!id) {
        const body: Record<string, unknown> = {};
        for (const key of Object.keys(form) as (keyof Form)[]) {
          const value = apiValue(key, form[key]);
          if ((key === "slug" || key === "sku") && !form[key].trim()) continue;
          if (key === "images" && (value as string[]).length === 0) continue;
          body[key] = value;
        }
        if (Object.keys(rowPrices(prices)).length > 0) body.prices = rowPrices(prices);
        const text = JSON.stringify(body);
        if (!attempt.current || attempt.current.body !== text) attempt.current = { key: newIdempotencyKey(), body: text };
        const answer = await api<{ id: string }>("/api/v1/products", { method: "POST", body, idempotencyKey: attempt.current.key });
        attempt.current = null;
        navigate(`/products/${answer.id}`, { replace: true, state: { created: true } });
      } else {
        const before = product ? toForm(product) : EMPTY;
        const body: Record<string, unknown> = {};
        for (const key of Object.keys(form) as (keyof Form)[]) {
          if (key === "sku") continue;
          if (form[key] !== before[key]) body[key] = apiValue(key, form[key]);
        }
        const change = pricesChange(product?.prices ?? {}, prices);
        if (Object.keys(change).length > 0) body.prices = change;
        if (Object.keys(body).length === 0) {
          setSaved(t("product.unchanged"));
        } else {
          await api(`/api/v1/products/${id}`, { method: "PATCH", body });
          setSaved(t("product.saved"));
          reload();
        }
      }
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  }

  const title = id ? t("product.edit_title", { name: product?.name ?? "" }) : t("product.new_title");
  return (
    <>
      <p>
        <Link to="/products">{t("product.back")}</Link>
      </p>
      <h1>{title}</h1>
      <Loading when={loading && !!id} />
      <ErrorAlert error={loadError} />
      <section aria-labelledby="product-details" className="card">
        <h2 id="product-details">{t("product.details")}</h2>
        <form onSubmit={submit} noValidate className="form-grid">
          <ErrorAlert error={error} />
          <Field label={t("product.name")} name="name" value={form.name} onChange={set("name")} errors={fields} required />
          <Field label={t("product.category")} name="category" value={form.category} onChange={set("category")} errors={fields} required hint={t("product.category_hint")} />
          <Field label={t("product.description")} name="description" value={form.description} onChange={set("description")} errors={fields} multiline />
          <Field label={t("product.base_price")} name="base_price" value={form.base_price} onChange={set("base_price")} errors={fields} inputMode="decimal" required hint={t("product.base_price_hint")} />
          <Field label={t("product.status")} name="status" value={form.status} onChange={set("status")} errors={fields} options={PRODUCT_STATUSES.map((s) => ({ value: s, label: t(`product_status.${s}`) }))} />
          <Field label={t("product.slug")} name="slug" value={form.slug} onChange={set("slug")} errors={fields} />
          {!id ? <Field label={t("product.sku")} name="sku" value={form.sku} onChange={set("sku")} errors={fields} /> : null}
          <Field label={t("product.weight_grams")} name="weight_grams" value={form.weight_grams} onChange={set("weight_grams")} errors={fields} inputMode="numeric" />
          <Field label={t("product.tax_class")} name="tax_class" value={form.tax_class} onChange={set("tax_class")} errors={fields} options={TAX_CLASSES.map((c) => ({ value: c, label: t(`tax_class.${c}`) }))} />
          <Field label={t("product.images")} name="images" value={form.images} onChange={set("images")} errors={fields} multiline rows={3} hint={t("product.images_hint")} />
          <FixedPrices rows={prices} onChange={setPrices} errors={fields} />
          <div className="actions">
            <button type="submit" data-testid="save-product" disabled={busy}>
              {id ? t("product.save") : t("product.create")}
            </button>
          </div>
          {saved ? <StatusMessage>{saved}</StatusMessage> : null}
        </form>
      </section>
      {id && product ? (
        <>
          {product.variants && product.variants.length > 0 ? <Variants variants={product.variants} /> : null}
          <Stock productId={id} />
          <Localizations productId={id} />
        </>
      ) : null}
    </>
  );
}

/** Fixed prices per currency: the price shown and charged in that currency, winning over conversion. */
export function FixedPrices({ rows, onChange, errors }: { rows: PriceRow[]; onChange: (rows: PriceRow[]) => void; errors: Record<string, string> }) {
  const { t } = useTranslation();
  const update = (index: number, key: keyof PriceRow) => (value: string) =>
    onChange(rows.map((row, n) => (n === index ? { ...row, [key]: value } : row)));
  return (
    <fieldset className="fixed-prices" data-testid="fixed-prices">
      <legend>{t("product.fixed_prices")}</legend>
      <p className="muted">{t("product.fixed_prices_hint")}</p>
      {errors.prices && !Object.keys(errors).some((key) => key.startsWith("prices.")) ? <p role="alert">{errors.prices}</p> : null}
      {rows.map((row, index) => {
        const code = row.currency.trim().toUpperCase();
        return (
          <div className="inline-form" key={index} data-testid={`fixed-price-${index}`}>
            <Field label={t("product.fixed_price_currency")} name={`prices-currency-${index}`} value={row.currency} onChange={update(index, "currency")} />
            <Field label={t("product.fixed_price_amount")} name={`prices-amount-${index}`} value={row.amount} onChange={update(index, "amount")} errors={errors} errorKey={`prices.${code}`} inputMode="decimal" />
            <button type="button" className="secondary" onClick={() => onChange(rows.filter((_, n) => n !== index))}>
              {t("product.fixed_price_remove", { currency: code || "—" })}
            </button>
          </div>
        );
      })}
      <button type="button" className="secondary" data-testid="add-fixed-price" onClick={() => onChange([...rows, { currency: "", amount: "" }])}>
        {t("product.fixed_price_add")}
      </button>
    </fieldset>
  );
}

function Variants({ variants }: { variants: Variant[] }) {
  const { t } = useTranslation();
  return (
    <section aria-labelledby="variants" className="card">
      <h2 id="variants">{t("product.variants")}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">{t("product.sku")}</th>
            <th scope="col">{t("product.attributes")}</th>
            <th scope="col">{t("product.base_price")}</th>
            <th scope="col">{t("product.weight_grams")}</th>
          </tr>
        </thead>
        <tbody>
          {variants.map((variant) => (
            <tr key={variant.sku}>
              <td>{variant.sku}</td>
              <td>{Object.entries(variant.attributes ?? {}).map(([k, v]) => `${k}: ${String(v)}`).join(", ")}</td>
              <td>
                <MoneyText money={variant.base_price} />
              </td>
              <td>{variant.weight_grams ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Stock({ productId }: { productId: string }) {
  const { t } = useTranslation();
  const { data, error: loadError, reload } = useLoad(
    (signal) => api<{ items: StockLevel[] }>(`/api/v1/products/${productId}/inventory`, { signal }),
    [productId],
  );
  const levels = data?.items ?? [];
  const [sku, setSku] = useState("");
  const [quantity, setQuantity] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const fields = error ? byField(describeError(error, t).fields) : {};

  useEffect(() => {
    if (levels.length > 0 && !levels.some((l) => (l.sku ?? "") === sku)) setSku(levels[0].sku ?? "");
  }, [levels, sku]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setSaved(null);
    try {
      const value = /^\d+$/.test(quantity.trim()) ? Number(quantity.trim()) : quantity;
      const answer = await api<StockLevel>(`/api/v1/products/${productId}/inventory`, {
        method: "PUT",
        body: levels.length > 1 && sku ? { quantity: value, sku } : { quantity: value },
      });
      setSaved(t("stock.saved", { available: answer.available }));
      reload();
    } catch (reason) {
      setError(reason);
    }
  }

  return (
    <section aria-labelledby="stock" className="card">
      <h2 id="stock">{t("stock.title")}</h2>
      <ErrorAlert error={loadError} />
      {levels.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">{t("product.sku")}</th>
              <th scope="col">{t("stock.available")}</th>
              <th scope="col">{t("stock.held")}</th>
              <th scope="col">{t("stock.sold")}</th>
            </tr>
          </thead>
          <tbody>
            {levels.map((level) => (
              <tr key={level.sku ?? "-"}>
                <td>{level.sku ?? "—"}</td>
                <td>{level.available}</td>
                <td>{level.held}</td>
                <td>{level.sold}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <form onSubmit={submit} noValidate className="inline-form">
        <ErrorAlert error={error} />
        {levels.length > 1 ? (
          <Field label={t("product.sku")} name="sku" value={sku} onChange={setSku} errors={fields} options={levels.map((l) => ({ value: l.sku ?? "", label: l.sku ?? "—" }))} />
        ) : null}
        <Field label={t("stock.quantity")} name="quantity" value={quantity} onChange={setQuantity} errors={fields} inputMode="numeric" testId="stock-quantity" />
        <button type="submit" data-testid="save-stock">
          {t("stock.save")}
        </button>
        {saved ? <StatusMessage>{saved}</StatusMessage> : null}
      </form>
    </section>
  );
}

interface PlatformLocale {
  code: string;
  name: string;
  native_name?: string;
}

function Localizations({ productId }: { productId: string }) {
  const { t } = useTranslation();
  const { data, error } = useLoad((signal) => api<{ items: Localization[] }>(`/api/v1/products/${productId}/localizations`, { signal }), [productId]);
  // the platform's locales (staff add them in localization): any of them can get a translation here
  const platform = useLoad((signal) => api<{ items: PlatformLocale[] }>("/api/v1/localization/locales", { signal }), []);
  const [added, setAdded] = useState<string[]>([]);
  const existing = new Map((data?.items ?? []).map((item) => [item.locale, item]));
  const locales: string[] = [...UI_LOCALES];
  for (const code of [...existing.keys(), ...added]) if (!locales.includes(code)) locales.push(code);
  const addable = (platform.data?.items ?? []).filter((locale) => !locales.includes(locale.code));
  return (
    <section aria-labelledby="localizations" className="card">
      <h2 id="localizations">{t("localization.title")}</h2>
      <ErrorAlert error={error} />
      {data && addable.length ? (
        <label>
          {t("localization.add")}{" "}
          <select data-testid="add-localization" value="" onChange={(e) => e.target.value && setAdded([...added, e.target.value])}>
            <option value="">—</option>
            {addable.map((locale) => (
              <option key={locale.code} value={locale.code} lang={locale.code}>
                {(locale.native_name || locale.name) + ` (${locale.code})`}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {data ? (
        <div className="side-by-side">
          {locales.map((code) => (
            <LocalizationEditor key={code} productId={productId} locale={code} initial={existing.get(code) ?? null} />
          ))}
        </div>
      ) : null}
    </section>
  );
}

function LocalizationEditor({ productId, locale, initial }: { productId: string; locale: string; initial: Localization | null }) {
  const { t } = useTranslation();
  const [name, setName] = useState(initial?.name ?? "");
  const [description, setDescription] = useState(initial?.description ?? "");
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const fields = error ? byField(describeError(error, t).fields) : {};
  const headingId = `loc-${locale}`;
  const language = t(`locales.${locale}`, { defaultValue: locale });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setSaved(null);
    try {
      await api(`/api/v1/products/${productId}/localizations/${encodeURIComponent(locale)}`, { method: "PUT", body: { name, description } });
      setSaved(t("localization.saved", { language }));
    } catch (reason) {
      setError(reason);
    }
  }

  return (
    <section data-testid={`localization-${locale}`} aria-labelledby={headingId} className="locale-card">
      <h3 id={headingId}>
        {language} <span className="muted">({locale})</span>
      </h3>
      <form onSubmit={submit} noValidate>
        <ErrorAlert error={error} />
        <Field label={t("localization.name", { language })} name="name" value={name} onChange={setName} errors={fields} />
        <Field label={t("localization.description", { language })} name="description" value={description} onChange={setDescription} errors={fields} multiline rows={3} />
        <button type="submit" data-testid="save-localization">
          {t("localization.save", { language })}
        </button>
        {saved ? <StatusMessage>{saved}</StatusMessage> : null}
      </form>
    </section>
  );
}
