import { useEffect, useRef, useState } from "react";
import { useParams, useSearchParams } from "react-router";
import { useTranslation } from "react-i18next";
import { api } from "../../shared/api";
import type { DescribedError } from "../../shared/i18n";
import { cartCall, storeGuestCart, type Address, type Cart, type Quote, type ShippingMethod } from "../cart";
import { KeepLink, useGo, useKeep, useStore } from "../context";
import {
  confirmCard,
  dropPending,
  getOrder,
  isQuoteChanged,
  loadPending,
  newIdempotencyKey,
  orderPath,
  paymentWindowEnd,
  pendingFromOrder,
  pendingOf,
  placeOrder,
  savePending,
  type Order,
  type Pending,
} from "../orders";
import { Totals, Warnings } from "../Totals";
import { Field, FormError, Loading, Price, SelectField, When, useDescribe } from "../ui";

const ADDRESS_FIELDS = ["name", "line1", "line2", "city", "region", "postal_code", "country"] as const;
type AddressForm = Record<(typeof ADDRESS_FIELDS)[number], string>;
const OPTIONAL = new Set(["line2", "region"]);

function toForm(address: Partial<Address> | null | undefined): AddressForm {
  const form = {} as AddressForm;
  for (const key of ADDRESS_FIELDS) form[key] = (address?.[key] as string | null | undefined) ?? "";
  return form;
}

function toBody(form: AddressForm): Record<string, string> {
  const body: Record<string, string> = {};
  for (const key of ADDRESS_FIELDS) {
    const value = key === "country" ? form[key].trim().toUpperCase() : form[key].trim();
    if (value || !OPTIONAL.has(key)) body[key] = value;
  }
  return body;
}

export function AddressFields({
  form,
  onChange,
  errors,
}: {
  form: AddressForm;
  onChange(form: AddressForm): void;
  errors: Record<string, string>;
}) {
  const { t } = useTranslation();
  return (
    <>
      {ADDRESS_FIELDS.map((key) => (
        <Field
          key={key}
          label={OPTIONAL.has(key) ? t("address.optional", { label: t(`address.${key}`) }) : t(`address.${key}`)}
          name={key}
          value={form[key]}
          required={!OPTIONAL.has(key)}
          maxLength={key === "country" ? 2 : undefined}
          autoComplete={
            { name: "name", line1: "address-line1", line2: "address-line2", city: "address-level2", region: "address-level1", postal_code: "postal-code", country: "country" }[key]
          }
          hint={key === "country" ? <span className="muted small">{t("address.countryHint")}</span> : undefined}
          onChange={(e) => onChange({ ...form, [key]: e.target.value })}
          error={errors[key] ?? errors[`shipping_address.${key}`]}
        />
      ))}
    </>
  );
}

export { toForm, toBody, type AddressForm };

export function Checkout() {
  const { t } = useTranslation();
  const describe = useDescribe();
  const go = useGo();
  const { cart, user, reloadCart, cartRef, setCart } = useStore();
  const [loading, setLoading] = useState(true);
  const [email, setEmail] = useState("");
  const [form, setForm] = useState<AddressForm>(toForm(null));
  const [saved, setSaved] = useState<Address[]>([]);
  const [savedChoice, setSavedChoice] = useState("");
  const [methods, setMethods] = useState<ShippingMethod[] | null>(null);
  const [error, setError] = useState<DescribedError | null>(null);
  const [busy, setBusy] = useState(false);
  const [newQuote, setNewQuote] = useState<Quote | null>(null);
  const attemptKey = useRef<string | null>(null);
  const initialized = useRef(false);
  const [method, setMethod] = useState<string | null>(null);
  const cartMethod = cart?.shipping_method?.id ?? null;
  useEffect(() => setMethod(cartMethod), [cartMethod]);

  useEffect(() => {
    reloadCart()
      .then((found) => {
        if (found && !initialized.current) {
          initialized.current = true;
          setEmail(found.email ?? "");
          setForm(toForm(found.shipping_address));
          setSavedChoice(found.address_id ?? "");
        }
      })
      .catch((e) => setError(describe(e)))
      .finally(() => setLoading(false));
    if (user)
      api<{ items: Address[] }>("/api/v1/users/me/addresses")
        .then((answer) => setSaved(answer.items))
        .catch(() => undefined);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const hasAddress = !!cart?.shipping_address;
  const addressKey = JSON.stringify(cart?.shipping_address ?? null) + (cart?.currency ?? "");
  useEffect(() => {
    const ref = cartRef();
    if (!ref || !hasAddress) {
      setMethods(null);
      return;
    }
    cartCall<{ items: ShippingMethod[] }>(ref, "/shipping-methods")
      .then((answer) => setMethods(answer.items))
      .catch((e) => setError(describe(e)));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [addressKey, hasAddress]);

  async function run<T>(task: () => Promise<T>): Promise<T | undefined> {
    setBusy(true);
    setError(null);
    try {
      return await task();
    } catch (e) {
      setError(describe(e));
      return undefined;
    } finally {
      setBusy(false);
    }
  }

  async function saveEmail(): Promise<void> {
    const ref = cartRef();
    if (!ref || user || !email.trim() || email.trim() === cart?.email) return;
    setCart(await cartCall<Cart>(ref, "", { method: "PATCH", body: { email: email.trim() } }));
  }

  function saveAddress() {
    return run(async () => {
      const ref = cartRef()!;
      await saveEmail();
      setCart(await cartCall<Cart>(ref, "/shipping-address", { method: "PUT", body: toBody(form) }));
      setSavedChoice("");
    });
  }

  function chooseSaved(id: string) {
    setSavedChoice(id);
    if (!id) return;
    void run(async () => {
      const next = await cartCall<Cart>(cartRef()!, "/shipping-address", { method: "PUT", body: { address_id: id } });
      setCart(next);
      setForm(toForm(next.shipping_address));
    });
  }

  function chooseMethod(id: string) {
    setMethod(id);
    void run(async () => {
      setCart(await cartCall<Cart>(cartRef()!, "/shipping-method", { method: "PUT", body: { method_id: id } }));
      return true;
    }).then(
      (done) => done === undefined && setMethod(cartMethod),
    );
  }

  function place() {
    void run(async () => {
      const ref = cartRef()!;
      await saveEmail();
      attemptKey.current ??= newIdempotencyKey();
      try {
        const order = await placeOrder(ref, attemptKey.current);
        attemptKey.current = null;
        const pending = pendingOf(order, ref);
        savePending(pending);
        go(`/checkout/pay/${order.id}`);
      } catch (e) {
        if (isQuoteChanged(e)) {
          // the notice (role=alert) shows the new total and asks to confirm it
          setNewQuote((e.problem.quote as Quote | undefined) ?? cart);
          void reloadCart().catch(() => undefined);
          return;
        }
        throw e;
      }
    });
  }

  if (loading) return <Loading />;
  if (!cart || cart.items.length === 0)
    return (
      <>
        <h1 tabIndex={-1}>{t("checkout.title")}</h1>
        <FormError error={error} />
        <p>
          {t("cart.empty")} <KeepLink to="/">{t("cart.continue")}</KeepLink>
        </p>
      </>
    );

  const fields = error?.fields ?? {};
  return (
    <>
      <h1 tabIndex={-1}>{t("checkout.title")}</h1>
      <FormError error={error} />
      <Warnings warnings={cart.warnings} />
      <div className="checkout">
        <div className="stack">
          {!user && (
            <section aria-labelledby="contact-heading" className="stack">
              <h2 id="contact-heading">{t("checkout.contact")}</h2>
              <Field
                label={t("fields.email")}
                name="email"
                type="email"
                autoComplete="email"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
                onBlur={() => void saveEmail().catch((e) => setError(describe(e)))}
                error={fields.email}
              />
            </section>
          )}
          <section aria-labelledby="address-heading" className="stack">
            <h2 id="address-heading">{t("checkout.address")}</h2>
            {user && saved.length > 0 && (
              <SelectField label={t("checkout.savedAddress")} data-testid="saved-address" value={savedChoice} onChange={(e) => chooseSaved(e.target.value)}>
                <option value="">{t("checkout.newAddress")}</option>
                {saved.map((a) => (
                  <option key={a.id} value={a.id}>
                    {[a.name, a.line1, a.postal_code, a.city, a.country].filter(Boolean).join(", ")}
                  </option>
                ))}
              </SelectField>
            )}
            <form noValidate
              className="stack"
              onSubmit={(e) => {
                e.preventDefault();
                void saveAddress();
              }}
            >
              <AddressFields form={form} onChange={setForm} errors={fields} />
              <button type="submit" data-testid="save-address" disabled={busy}>
                {t("checkout.useAddress")}
              </button>
            </form>
          </section>
          <section aria-labelledby="shipping-heading">
            <h2 id="shipping-heading">{t("checkout.shipping")}</h2>
            {!hasAddress ? (
              <p className="muted">{t("checkout.addressFirst")}</p>
            ) : methods === null ? (
              <Loading />
            ) : methods.length === 0 ? (
              <p>{t("checkout.noMethods")}</p>
            ) : (
              <fieldset>
                <legend>{t("checkout.method")}</legend>
                {methods.map((m) => (
                  <div key={m.id} className="radio">
                    <input
                      type="radio"
                      id={`method-${m.id}`}
                      name="shipping-method"
                      value={m.id}
                      data-testid="shipping-method"
                      checked={method === m.id}
                      onChange={() => chooseMethod(m.id)}
                    />
                    <label htmlFor={`method-${m.id}`}>
                      {m.name} — <Price money={m.amount} />
                      {m.delivery && <span className="muted"> · {t("checkout.delivery", { min: m.delivery.min_days, max: m.delivery.max_days })}</span>}
                    </label>
                  </div>
                ))}
                {fields.method_id && <p className="field-error">{fields.method_id}</p>}
              </fieldset>
            )}
          </section>
        </div>
        <section aria-labelledby="summary-heading" className="summary">
          <h2 id="summary-heading">{t("checkout.summary")}</h2>
          <ul className="plain">
            {cart.items.map((line) => (
              <li key={line.id}>
                {t("checkout.lineSummary", { count: line.quantity, name: line.name })} — <Price money={line.line_total} />
              </li>
            ))}
          </ul>
          <Totals quote={cart} />
          {newQuote && (
            <div data-testid="quote-changed" role="alert" className="notice">
              <p>{t("common:errors.quote-changed")}</p>
              <p>
                {t("checkout.newTotal")} <Price money={newQuote.total} testId="new-total" />
              </p>
              <button
                type="button"
                data-testid="confirm-new-total"
                disabled={busy}
                onClick={() => {
                  setNewQuote(null);
                  place();
                }}
              >
                {t("checkout.confirmNewTotal")}
              </button>
            </div>
          )}
          {!newQuote && (
            <button type="button" className="primary" data-testid="place-order" disabled={busy} onClick={place}>
              {t("checkout.placeOrder")}
            </button>
          )}
        </section>
      </div>
    </>
  );
}

// --------------------------------------------------------------------------------------------- payment
/** The card step of one order. A declined card (402) leaves the SAME order pending and its intent open: the
 * shopper may try another card until the payment window closes (shown). A card that asks the shopper's bank to
 * confirm (3-D Secure: `requires_action`) goes to the bank's page, which comes back to the order page. */
export function PayPage() {
  const { orderId = "" } = useParams();
  const [params] = useSearchParams();
  const { t } = useTranslation();
  const describe = useDescribe();
  const go = useGo();
  const keep = useKeep();
  const { setCart } = useStore();
  const [pending, setPending] = useState<Pending | null>(() => loadPending(orderId));
  const [order, setOrder] = useState<Order | null>(null);
  const [card, setCard] = useState("");
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState("");
  const [declined, setDeclined] = useState<string | null>(null);
  const [error, setError] = useState<DescribedError | null>(null);
  const [loaded, setLoaded] = useState(false);

  useEffect(() => {
    const current = loadPending(orderId);
    const token = current?.token ?? params.get("token");
    setPending(current);
    getOrder(orderId, token)
      .then((found) => {
        setOrder(found);
        if (!current) {
          // this tab lost its copy (a new tab, back from the bank): the pending order itself says how to pay it
          const fromOrder = pendingFromOrder(found, token);
          if (fromOrder) savePending(fromOrder);
          setPending(fromOrder);
        }
      })
      .catch((e) => setError(describe(e)))
      .finally(() => setLoaded(true));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [orderId]);

  async function refreshOrder(current: Pending) {
    const found = await getOrder(current.orderId, current.token).catch(() => null);
    if (found) setOrder(found);
  }

  async function pay(event?: React.FormEvent) {
    event?.preventDefault();
    if (!pending) return;
    setBusy(true);
    setError(null);
    setDeclined(null);
    try {
      setStatus(t("payment.processing"));
      // back from the bank to the order page, in the shopper's locale and currency
      const result = await confirmCard(pending, card, keep(orderPath(pending.orderId, pending.token)));
      if (result.kind === "succeeded") {
        dropPending(pending.orderId);
        if (pending.cartToken) storeGuestCart(null);
        setCart(null);
        go(orderPath(pending.orderId, pending.token), { replace: true, state: { paid: true } });
        return;
      }
      if (result.kind === "redirect") {
        // the bank's page (the sandbox's challenge) answers with a redirect to the order page
        setStatus(t("payment.authenticating"));
        window.location.assign(result.url);
        return;
      }
      setStatus("");
      setCard("");
      if (result.declined) {
        const code = result.declineCode ?? result.code ?? "generic_decline";
        const detail = t(`payment.decline.${code}`, { defaultValue: "" });
        setDeclined([t("common:errors.card-declined"), detail, t("payment.tryAnother")].filter(Boolean).join(" "));
      } else if (result.code === "payment_intent_unexpected_state") setDeclined(t("payment.closed"));
      else setDeclined(t("common:errors.unexpected"));
      await refreshOrder(pending);
    } catch (e) {
      setStatus("");
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  }

  if (!pending || (order && order.status !== "pending_payment"))
    return (
      <>
        <h1 tabIndex={-1}>{t("payment.title")}</h1>
        <FormError error={error} />
        {loaded || order ? (
          <p data-testid="payment-closed">{order && order.status !== "pending_payment" ? t("payment.closed") : t("payment.missing")}</p>
        ) : (
          <Loading />
        )}
        <KeepLink to={orderPath(orderId, pending?.token ?? params.get("token"))}>{t("payment.viewOrder")}</KeepLink>
      </>
    );

  const windowEnd = order ? paymentWindowEnd(order) : null;
  return (
    <>
      <h1 tabIndex={-1}>{t("payment.title")}</h1>
      {order && (
        <p>
          {t("payment.amount")} <Price money={order.total} testId="order-total" />
        </p>
      )}
      {windowEnd && (
        <p data-testid="payment-window">
          {t("payment.windowEnds")} <When at={windowEnd} />
        </p>
      )}
      <form noValidate className="stack narrow card-element" onSubmit={pay}>
        <Field
          label={t("payment.cardNumber")}
          name="card_number"
          data-testid="card-number"
          inputMode="numeric"
          autoComplete="cc-number"
          value={card}
          onChange={(e) => setCard(e.target.value)}
          hint={<span className="muted small">{t("payment.sandboxHint")}</span>}
        />
        <button type="submit" className="primary" data-testid="pay" disabled={busy || !card.trim()}>
          {t("payment.pay")}
        </button>
        <p aria-live="polite">{status}</p>
        {declined && (
          <p role="alert" className="error" data-testid="payment-error">
            {declined}
          </p>
        )}
        <FormError error={error} />
      </form>
    </>
  );
}
