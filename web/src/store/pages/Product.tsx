import { useEffect, useState } from "react";
import { useParams } from "react-router";
import { useTranslation } from "react-i18next";
import { api } from "../../shared/api";
import type { Money } from "../../shared/money";
import type { DescribedError } from "../../shared/i18n";
import { cartCall, type Cart } from "../cart";
import { KeepLink, useStore } from "../context";
import { Field, FormError, Loading, Price, SelectField, useDescribe } from "../ui";
import type { ProductSummary } from "./Catalog";

/** An attribute (or variant option) named in the served locale: the products API's `attribute_labels`. */
type Labels = Record<string, { name: string; value: string | number | boolean }>;

interface Variant {
  sku: string;
  attributes?: Record<string, string>;
  attribute_labels?: Labels;
  price: Money;
  in_stock: boolean;
  stock?: number;
  available?: number;
}

interface Product extends ProductSummary {
  variants?: Variant[];
  attribute_labels?: Labels;
  images?: string[];
  stock?: number;
  available?: number;
}

function variantLabel(variant: Variant): string {
  const values = variant.attribute_labels
    ? Object.values(variant.attribute_labels).map((label) => String(label.value))
    : Object.values(variant.attributes ?? {});
  return values.length ? values.join(" · ") : variant.sku;
}

export function ProductPage() {
  const { id = "" } = useParams();
  const { t } = useTranslation();
  const describe = useDescribe();
  const { locale, currency, ensureCart, setCart } = useStore();
  const [product, setProduct] = useState<Product | null>(null);
  const [loadError, setLoadError] = useState<DescribedError | null>(null);
  const [sku, setSku] = useState("");
  const [quantity, setQuantity] = useState("1");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<DescribedError | null>(null);
  const [added, setAdded] = useState(false);

  useEffect(() => {
    setLoadError(null);
    api<Product>(`/api/v1/products/${id}`, { query: { locale, currency } })
      .then((answer) => {
        setProduct(answer);
        setSku((before) => before || answer.variants?.find((v) => v.in_stock)?.sku || answer.variants?.[0]?.sku || "");
      })
      .catch((e) => setLoadError(describe(e)));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, locale, currency]);

  if (loadError)
    return (
      <>
        <h1 tabIndex={-1}>{t("product.unavailable")}</h1>
        <FormError error={loadError} />
        <KeepLink to="/">{t("notFound.back")}</KeepLink>
      </>
    );
  if (!product) return <Loading />;

  const variants = product.variants ?? [];
  const variant = variants.find((v) => v.sku === sku);
  const price = variant?.price ?? product.price;
  const inStock = variant ? variant.in_stock : product.in_stock;
  const count = variant?.available ?? variant?.stock ?? product.available ?? product.stock;

  async function add(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setAdded(false);
    try {
      const ref = await ensureCart();
      const body: Record<string, unknown> = { product_id: product!.id, quantity: Number(quantity) };
      if (sku) body.sku = sku;
      setCart(await cartCall<Cart>(ref, "/items", { method: "POST", body }));
      setAdded(true);
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <article className="product">
      <h1 tabIndex={-1} data-testid="product-name">
        {product.name}
      </h1>
      <p className="muted">{product.category_name ?? product.category}</p>
      <p>{product.description}</p>
      {Object.keys(product.attribute_labels ?? {}).length > 0 && (
        <dl className="attributes" data-testid="attributes">
          {Object.entries(product.attribute_labels!).map(([key, label]) => (
            <div key={key}>
              <dt>{label.name}</dt>
              <dd>{String(label.value)}</dd>
            </div>
          ))}
        </dl>
      )}
      <p className="price big">
        <Price money={price} testId="price" />
      </p>
      {product.fx?.stale && <p className="muted">{t("product.staleRate")}</p>}
      <p data-testid="stock" data-in-stock={inStock ? "true" : "false"} className={inStock ? "ok" : "muted"}>
        {inStock ? (typeof count === "number" ? t("stock.count", { count }) : t("stock.in")) : t("stock.out")}
      </p>
      <form onSubmit={add} className="stack narrow" noValidate>
        {variants.length > 0 && (
          <SelectField
            label={t("product.variant")}
            name="sku"
            data-testid="variant-picker"
            value={sku}
            onChange={(e) => setSku(e.target.value)}
            error={error?.fields.sku}
          >
            {variants.map((v) => (
              <option key={v.sku} value={v.sku}>
                {variantLabel(v)}
                {v.in_stock ? "" : ` (${t("stock.out")})`}
              </option>
            ))}
          </SelectField>
        )}
        <Field
          label={t("product.quantity")}
          name="quantity"
          type="number"
          min={1}
          max={100}
          inputMode="numeric"
          data-testid="quantity"
          value={quantity}
          onChange={(e) => setQuantity(e.target.value)}
          error={error?.fields.quantity}
        />
        <button type="submit" data-testid="add-to-cart" disabled={busy || !inStock}>
          {t("product.add")}
        </button>
        <FormError error={error} />
        {added && (
          <p role="status" className="ok">
            {t("product.added")} <KeepLink to="/cart">{t("product.viewCart")}</KeepLink>
          </p>
        )}
      </form>
    </article>
  );
}
