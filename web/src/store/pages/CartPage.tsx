import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import type { DescribedError } from "../../shared/i18n";
import { cartCall, itemCount, promotionCode, type Cart, type CartLine } from "../cart";
import { KeepLink, useStore } from "../context";
import { Totals, Warnings } from "../Totals";
import { Field, FormError, Loading, Price, useDescribe } from "../ui";

function LineRow({ line, onError }: { line: CartLine; onError(error: DescribedError | null): void }) {
  const { t } = useTranslation();
  const describe = useDescribe();
  const { cartRef, setCart } = useStore();
  const [quantity, setQuantity] = useState(String(line.quantity));
  const [busy, setBusy] = useState(false);
  const [fieldError, setFieldError] = useState<string | undefined>();

  useEffect(() => setQuantity(String(line.quantity)), [line.quantity]);

  async function change(method: "PATCH" | "DELETE", body?: unknown) {
    const ref = cartRef();
    if (!ref) return;
    setBusy(true);
    onError(null);
    setFieldError(undefined);
    try {
      setCart(await cartCall<Cart>(ref, `/items/${line.id}`, { method, body }));
    } catch (e) {
      const described = describe(e);
      onError(described);
      setFieldError(described.fields.quantity ?? described.message);
      setQuantity(String(line.quantity));
    } finally {
      setBusy(false);
    }
  }

  function commit() {
    if (quantity !== String(line.quantity) && quantity !== "") void change("PATCH", { quantity: Number(quantity) });
  }

  return (
    <tr data-testid="cart-line" data-line-id={line.id}>
      <th scope="row">
        <KeepLink to={`/products/${line.product_id}`}>{line.name}</KeepLink>
        {line.sku && <span className="muted"> ({line.sku})</span>}
      </th>
      <td>
        <Price money={line.unit_price} testId="unit-price" />
      </td>
      <td>
        <Field
          label={t("cart.quantityOf", { name: line.name })}
          name="quantity"
          type="number"
          min={1}
          max={100}
          className="qty"
          data-testid="line-quantity"
          value={quantity}
          disabled={busy}
          onChange={(e) => setQuantity(e.target.value)}
          onBlur={commit}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              commit();
            }
          }}
          error={fieldError}
        />
      </td>
      <td>
        <Price money={line.line_total} testId="line-total" />
      </td>
      <td>
        <button type="button" data-testid="remove-line" disabled={busy} onClick={() => void change("DELETE")}>
          {t("cart.remove")}
          <span className="visually-hidden"> {line.name}</span>
        </button>
      </td>
    </tr>
  );
}

export function Promotions({ cart }: { cart: Cart }) {
  const { t } = useTranslation();
  const describe = useDescribe();
  const { cartRef, setCart } = useStore();
  const [code, setCode] = useState("");
  const [error, setError] = useState<DescribedError | null>(null);
  const [busy, setBusy] = useState(false);

  async function call(path: string, method: "POST" | "DELETE", body?: unknown) {
    const ref = cartRef();
    if (!ref) return;
    setBusy(true);
    setError(null);
    try {
      setCart(await cartCall<Cart>(ref, path, { method, body }));
      if (method === "POST") setCode("");
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="promo-heading" className="promo">
      <h2 id="promo-heading">{t("cart.promotions")}</h2>
      <ul className="plain">
        {(cart.promotions ?? []).map((promotion) => {
          const value = promotionCode(promotion);
          return (
            <li key={value} data-testid="applied-promotion" data-code={value}>
              <strong>{value}</strong>{" "}
              <button type="button" disabled={busy} onClick={() => void call(`/promotions/${encodeURIComponent(value)}`, "DELETE")}>
                {t("cart.removePromo")}
                <span className="visually-hidden"> {value}</span>
              </button>
            </li>
          );
        })}
      </ul>
      <form noValidate
        className="inline"
        onSubmit={(e) => {
          e.preventDefault();
          if (code.trim()) void call("/promotions", "POST", { code: code.trim() });
        }}
      >
        <Field
          label={t("cart.promoCode")}
          name="code"
          data-testid="promo-code"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          error={error?.fields.code}
        />
        <button type="submit" data-testid="apply-promo" disabled={busy}>
          {t("cart.applyPromo")}
        </button>
      </form>
      <FormError error={error} testId="promo-error" />
    </section>
  );
}

export function CartPage() {
  const { t } = useTranslation();
  const describe = useDescribe();
  const { cart, reloadCart } = useStore();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<DescribedError | null>(null);

  useEffect(() => {
    reloadCart()
      .catch((e) => setError(describe(e)))
      .finally(() => setLoading(false));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const empty = !cart || cart.items.length === 0;
  return (
    <>
      <h1 tabIndex={-1}>{t("cart.title")}</h1>
      <FormError error={error} />
      {loading && !cart ? (
        <Loading />
      ) : empty ? (
        <p>
          {t("cart.empty")} <KeepLink to="/">{t("cart.continue")}</KeepLink>
        </p>
      ) : (
        <>
          <p className="muted">{t("header.cart", { count: itemCount(cart) })}</p>
          <Warnings warnings={cart.warnings} />
          <table className="lines">
            <caption className="visually-hidden">{t("cart.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("cart.product")}</th>
                <th scope="col">{t("cart.unitPrice")}</th>
                <th scope="col">{t("cart.quantity")}</th>
                <th scope="col">{t("cart.lineTotal")}</th>
                <th scope="col">
                  <span className="visually-hidden">{t("cart.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {cart.items.map((line) => (
                <LineRow key={line.id} line={line} onError={setError} />
              ))}
            </tbody>
          </table>
          <Promotions cart={cart} />
          <section aria-labelledby="totals-heading">
            <h2 id="totals-heading">{t("totals.title")}</h2>
            <Totals quote={cart} />
          </section>
          <p>
            <KeepLink to="/checkout" className="button primary" data-testid="checkout">
              {t("cart.checkout")}
            </KeepLink>
          </p>
        </>
      )}
    </>
  );
}
