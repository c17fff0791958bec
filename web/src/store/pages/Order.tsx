import { useEffect, useState } from "react";
import { useLocation, useParams, useSearchParams } from "react-router";
import { useTranslation } from "react-i18next";
import { api } from "../../shared/api";
import type { DescribedError } from "../../shared/i18n";
import { storeGuestCart } from "../cart";
import { dropPending, getOrder, loadPending, paymentWindowEnd, type Order } from "../orders";
import { KeepLink, useStore } from "../context";
import { Totals } from "../Totals";
import { FormError, Loading, Price, When, useDescribe } from "../ui";

export function OrderPage() {
  const { id = "" } = useParams();
  const [params] = useSearchParams();
  const token = params.get("token");
  const location = useLocation();
  // back from the bank's 3-D Secure page (the gateway adds ?payment_intent=…&redirect_status=succeeded|failed)
  const redirectStatus = params.get("redirect_status");
  const authFailed = redirectStatus === "failed";
  const justPaid = !!(location.state as { paid?: boolean } | null)?.paid || redirectStatus === "succeeded";
  const { t } = useTranslation();
  const describe = useDescribe();
  const { user, setCart } = useStore();
  const [order, setOrder] = useState<Order | null>(null);
  const [error, setError] = useState<DescribedError | null>(null);
  const [busy, setBusy] = useState(false);
  const [waiting, setWaiting] = useState(justPaid);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let polls = 0;
    const load = async () => {
      try {
        const found = await getOrder(id, token);
        if (stopped) return;
        setOrder(found);
        setError(null);
        const kept = loadPending(id);
        if (kept && found.status !== "pending_payment") {
          // paid (e.g. after the bank's page) or closed: this tab's copy of the payment and cart are done
          dropPending(id);
          if (found.status === "paid") {
            if (kept.cartToken) storeGuestCart(null);
            setCart(null);
          }
        }
        // after paying: ask every second until the payment is confirmed (webhook → paid)
        if (justPaid && found.status === "pending_payment" && polls++ < 120) timer = setTimeout(load, 1000);
        else setWaiting(false);
      } catch (e) {
        if (!stopped) {
          setError(describe(e));
          setWaiting(false);
        }
      }
    };
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, token, justPaid]);

  async function cancel() {
    setBusy(true);
    setError(null);
    try {
      await api(`/api/v1/orders/${id}/cancel`, { method: "POST", body: {} });
      setOrder(await getOrder(id, token));
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  }

  if (!order)
    return (
      <>
        <h1 tabIndex={-1}>{t("order.title")}</h1>
        <FormError error={error} />
        {!error && <Loading />}
      </>
    );

  const windowEnd = paymentWindowEnd(order);
  const payPath = token ? `/checkout/pay/${order.id}?token=${encodeURIComponent(token)}` : `/checkout/pay/${order.id}`;
  return (
    <>
      <h1 tabIndex={-1}>{t("order.titleWithId", { id: order.id.slice(0, 8) })}</h1>
      <p>
        {t("order.status")}{" "}
        <strong data-testid="order-status" data-status={order.status} className={`status status-${order.status}`}>
          {t(`status.${order.status}`, { defaultValue: order.status })}
        </strong>
      </p>
      {justPaid && order.status === "paid" && (
        <p role="status" className="ok">
          {t("order.paidNow")}
        </p>
      )}
      {waiting && order.status === "pending_payment" && <p aria-live="polite">{t("order.waiting")}</p>}
      {authFailed && order.status === "pending_payment" && (
        <p role="alert" className="error" data-testid="payment-error">
          {t("order.authFailed")}
        </p>
      )}
      {windowEnd && (
        <p data-testid="payment-window">
          {t("payment.windowEnds")} <When at={windowEnd} />
        </p>
      )}
      {order.status === "pending_payment" && !waiting && (
        <p>
          <KeepLink to={payPath} data-testid="pay-order" className="button">
            {t("order.pay")}
          </KeepLink>
        </p>
      )}
      <FormError error={error} />
      <section aria-labelledby="lines-heading">
        <h2 id="lines-heading">{t("order.lines")}</h2>
        <table className="lines">
          <thead>
            <tr>
              <th scope="col">{t("cart.product")}</th>
              <th scope="col">{t("cart.unitPrice")}</th>
              <th scope="col">{t("cart.quantity")}</th>
              <th scope="col">{t("cart.lineTotal")}</th>
            </tr>
          </thead>
          <tbody>
            {order.items.map((line, index) => (
              <tr key={`${line.product_id}-${line.sku ?? ""}-${index}`} data-testid="order-line">
                <th scope="row">
                  {line.name}
                  {line.sku && <span className="muted"> ({line.sku})</span>}
                </th>
                <td>
                  <Price money={line.unit_price} />
                </td>
                <td>{line.quantity}</td>
                <td>
                  <Price money={line.line_total} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="order-totals-heading">
        <h2 id="order-totals-heading">{t("totals.title")}</h2>
        <Totals quote={order} totalTestId="order-total" />
      </section>
      <section aria-labelledby="history-heading">
        <h2 id="history-heading">{t("order.history")}</h2>
        <ol className="history">
          {(order.history ?? []).map((entry, index) => (
            <li key={index} data-testid="history-entry" data-status={entry.status}>
              <strong>{t(`status.${entry.status}`, { defaultValue: entry.status })}</strong> — <When at={entry.at} />
              {entry.reason && <span className="muted"> · {entry.reason}</span>}
            </li>
          ))}
        </ol>
      </section>
      {order.status === "pending_payment" && user && (
        <p>
          <button type="button" data-testid="cancel-order" disabled={busy} onClick={() => void cancel()}>
            {t("order.cancel")}
          </button>
        </p>
      )}
    </>
  );
}
