import { useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import { useTranslation } from "react-i18next";
import { api } from "../../shared/api";
import type { Money } from "../../shared/money";
import { KeepLink, useStore } from "../context";
import { FormError, Loading, Price, useDescribe } from "../ui";
import type { DescribedError } from "../../shared/i18n";

export interface ProductSummary {
  id: string;
  slug: string;
  name: string;
  description: string;
  category: string;
  category_name?: string; // in the served locale (the key when the category is not managed)
  price: Money;
  in_stock: boolean;
  image?: string;
  fx?: { stale?: boolean };
}

export interface CategoryEntry {
  key: string;
  slug: string; // localized
  name: string; // localized
  parent: string | null;
  depth: number;
}

interface Page {
  items: ProductSummary[];
  next_cursor: string | null;
}

export function Catalog() {
  const { t } = useTranslation();
  const describe = useDescribe();
  const { locale, currency } = useStore();
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const category = params.get("category") ?? "";
  const [search, setSearch] = useState(q);
  const [categories, setCategories] = useState<CategoryEntry[]>([]);
  const [cursors, setCursors] = useState<string[]>([]); // the cursors of the pages before this one, and this one
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<DescribedError | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    const controller = new AbortController();
    setError(null);
    api<Page>("/api/v1/products", { query: { locale, currency, category, q, limit: 12, cursor }, signal: controller.signal })
      .then((answer) => setPage(answer))
      .catch((e) => {
        if ((e as Error).name !== "AbortError") setError(describe(e));
      });
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [locale, currency, category, q, cursor]);

  useEffect(() => {
    const controller = new AbortController();
    api<{ items: CategoryEntry[] }>("/api/v1/products/categories", { query: { locale }, signal: controller.signal })
      .then((answer) => setCategories(answer.items))
      .catch(() => setCategories([])); // the navigation is a convenience: the catalog works without it
    return () => controller.abort();
  }, [locale]);

  // a category is chosen by key or by its slug in another locale: show it as chosen either way
  const chosen = categories.find((c) => c.slug === category || c.key === category);

  function apply(next: { q?: string; category?: string }) {
    const query = new URLSearchParams(params);
    for (const [key, value] of Object.entries(next)) {
      if (value) query.set(key, value.trim());
      else query.delete(key);
    }
    setCursors([]);
    setParams(query, { replace: true });
  }

  function later(next: { q?: string; category?: string }) {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => apply(next), 350);
  }

  return (
    <>
      <h1 tabIndex={-1}>{t("catalog.title")}</h1>
      <form
        className="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          if (timer.current) clearTimeout(timer.current);
          apply({ q: search, category });
        }}
      >
        <div className="field">
          <label htmlFor="catalog-search">{t("catalog.search")}</label>
          <input
            id="catalog-search"
            type="search"
            name="q"
            data-testid="search"
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              later({ q: e.target.value, category });
            }}
          />
        </div>
        <button type="submit">{t("catalog.apply")}</button>
      </form>
      {categories.length > 0 && (
        <nav className="categories" aria-label={t("catalog.categories")} data-testid="category-nav">
          <ul>
            <li>
              <button type="button" aria-pressed={!category} onClick={() => apply({ category: "" })}>
                {t("catalog.allCategories")}
              </button>
            </li>
            {categories.map((c) => (
              <li key={c.key} className={c.depth ? "sub" : undefined}>
                <button
                  type="button"
                  aria-pressed={chosen?.key === c.key}
                  data-category={c.key}
                  onClick={() => apply({ category: c.slug })}
                >
                  {c.name}
                </button>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <FormError error={error} />
      {!page ? (
        <Loading />
      ) : page.items.length === 0 ? (
        <p>{t("catalog.empty")}</p>
      ) : (
        <>
          <p aria-live="polite" className="muted">
            {t("catalog.count", { count: page.items.length })}
          </p>
          <ul className="cards">
            {page.items.map((product) => (
              <li key={product.id}>
                <article className="card" data-testid="product-card">
                  <h2>
                    <KeepLink to={`/products/${product.id}`}>{product.name}</KeepLink>
                  </h2>
                  <p className="muted">{product.category_name ?? product.category}</p>
                  <p className="price">
                    <Price money={product.price} testId="price" />
                  </p>
                  <p className={product.in_stock ? "ok" : "muted"}>{product.in_stock ? t("stock.in") : t("stock.out")}</p>
                </article>
              </li>
            ))}
          </ul>
        </>
      )}
      <nav className="pager" aria-label={t("catalog.pages")}>
        {cursors.length > 0 && (
          <button type="button" onClick={() => setCursors(cursors.slice(0, -1))}>
            {t("catalog.previous")}
          </button>
        )}
        {page?.next_cursor && (
          <button type="button" data-testid="next-page" onClick={() => setCursors([...cursors, page.next_cursor!])}>
            {t("catalog.next")}
          </button>
        )}
      </nav>
    </>
  );
}
