// Products: search (as you type, or on submit), filter by status, page through, open one.
import { useEffect, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { api } from "../../shared/api";
import type { Money } from "../../shared/money";
import { ErrorAlert, Field, Loading, MoneyText, Pager, useDebounced, useLoad } from "../ui";

interface ProductRow {
  id: string;
  slug: string;
  name: string;
  category: string;
  base_price: Money;
  status?: string;
  in_stock: boolean;
  stock?: { sku: string | null; available: number }[];
}
interface Page {
  items: ProductRow[];
  next_cursor: string | null;
}

export const PRODUCT_STATUSES = ["draft", "active", "archived"];

export default function Products() {
  const { t } = useTranslation();
  const [q, setQ] = useState("");
  const [status, setStatus] = useState("");
  const [cursors, setCursors] = useState<string[]>([]);
  const typed = useDebounced(q);
  const [query, setQuery] = useState("");
  useEffect(() => setQuery(typed), [typed]);
  const cursor = cursors[cursors.length - 1];
  const { data, error, loading } = useLoad(
    (signal) => api<Page>("/api/v1/products", { query: { q: query.trim() || undefined, status: status || undefined, limit: 25, cursor, locale: "en" }, signal }),
    [query, status, cursor],
  );

  function submit(event: FormEvent) {
    event.preventDefault();
    setCursors([]);
    setQuery(q);
  }

  return (
    <>
      <div className="title-row">
        <h1>{t("products.title")}</h1>
        <Link to="/products/new" className="button" data-testid="new-product">
          {t("products.new")}
        </Link>
      </div>
      <form className="filters" role="search" onSubmit={submit}>
        <Field label={t("products.search")} name="q" type="search" value={q} testId="product-search" onChange={(v) => { setQ(v); setCursors([]); }} />
        <Field
          label={t("products.status")}
          name="status"
          value={status}
          onChange={(v) => { setStatus(v); setCursors([]); }}
          options={[{ value: "", label: t("all") }, ...PRODUCT_STATUSES.map((s) => ({ value: s, label: t(`product_status.${s}`) }))]}
        />
        <button type="submit">{t("search")}</button>
      </form>
      <ErrorAlert error={error} />
      <Loading when={loading} />
      <table>
        <caption className="visually-hidden">{t("products.title")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("product.name")}</th>
            <th scope="col">{t("product.slug")}</th>
            <th scope="col">{t("product.category")}</th>
            <th scope="col">{t("product.base_price")}</th>
            <th scope="col">{t("product.status")}</th>
            <th scope="col">{t("products.stock")}</th>
          </tr>
        </thead>
        <tbody>
          {data?.items.map((product) => (
            <tr key={product.id} data-testid="product-row" data-id={product.id}>
              <td>
                <Link to={`/products/${product.id}`}>{product.name}</Link>
              </td>
              <td>{product.slug}</td>
              <td>{product.category}</td>
              <td>
                <MoneyText money={product.base_price} />
              </td>
              <td>{product.status ? t(`product_status.${product.status}`, { defaultValue: product.status }) : "—"}</td>
              <td>{product.stock ? product.stock.map((s) => s.available).join(" / ") : t(product.in_stock ? "products.in_stock" : "products.out_of_stock")}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.items.length === 0 ? <p className="muted">{t("empty")}</p> : null}
      <Pager cursors={cursors} setCursors={setCursors} next={data?.next_cursor} />
    </>
  );
}
