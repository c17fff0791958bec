// One order: lines, totals, taxes, payment and history; ship (in parts: afterPayment.tsx), cancel, refunds on
// the order (in full or in part, with a reason) and its returns.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { api } from "../../shared/api";
import type { Money } from "../../shared/money";
import { DateTime, ErrorAlert, Loading, MoneyText, StatusMessage, useLoad } from "../ui";
import { RefundsCard, ReturnsCard, ShipmentsCard, type AfterPayment } from "./afterPayment";

interface Order extends AfterPayment {
  user_id: string;
  version?: number;
  base_total: Money;
  fx: { rate: string; as_of: string | null; source: string | null; stale: boolean };
  payment: { id: string; intent_id: string } | null;
  shipping_address: { name: string; line1: string; line2?: string | null; city: string; region?: string | null; postal_code: string; country: string } | null;
  created_at: string;
  history: { status: string; at: string; reason: string | null; actor: string | null }[];
}
interface Payment {
  id: string;
  status: string;
  amount: Money;
  refunded_amount: Money;
  gateway: string | null;
  breakdown: {
    subtotal: Money;
    discount_total: Money;
    shipping_total: Money;
    tax_total: Money;
    tax_included: boolean;
    taxes: { name: string; rate: string; amount: Money }[];
  } | null;
}

export default function OrderDetail() {
  const { id = "" } = useParams();
  const { t } = useTranslation();
  const { data: order, setData: setOrder, error: loadError, loading } = useLoad((signal) => api<Order>(`/api/v1/orders/${id}`, { signal }), [id]);
  const paymentId = order?.payment?.id;
  const { data: payment, setData: setPayment, error: paymentError } = useLoad(
    (signal) => (paymentId ? api<Payment>(`/api/v1/payments/${paymentId}`, { signal }) : Promise.resolve(null)),
    [paymentId],
  );
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  /** A newer order from an action: shown, and the payment (its refunded amount) read again. */
  function update(fresh: AfterPayment) {
    setOrder(fresh as Order);
    const next = (fresh as Order).payment?.id;
    if (next) void api<Payment>(`/api/v1/payments/${next}`).then(setPayment, () => undefined);
  }

  async function act(run: () => Promise<string>) {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await run());
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  }

  const statusText = (status: string) => t(`status.${status}`, { defaultValue: status });

  const fulfil = () =>
    act(async () => {
      const answer = await api<Order>(`/api/v1/orders/${id}/fulfil`, { method: "POST", body: {} });
      setOrder(answer);
      return t("order.result_status", { status: statusText(answer.status) });
    });

  const cancel = () =>
    act(async () => {
      const answer = await api<Order>(`/api/v1/orders/${id}/cancel`, { method: "POST", body: {} });
      setOrder(answer);
      return t("order.result_status", { status: statusText(answer.status) });
    });

  return (
    <>
      <p>
        <Link to="/orders">{t("order.back")}</Link>
      </p>
      <h1>{t("order.title", { id })}</h1>
      <Loading when={loading} />
      <ErrorAlert error={loadError} />
      {order ? (
        <>
          <p>
            {t("orders.status")}:{" "}
            <strong data-testid="order-status" data-status={order.status} className={`badge status-${order.status}`}>
              {statusText(order.status)}
            </strong>
          </p>
          <section className="card" aria-labelledby="actions">
            <h2 id="actions">{t("order.actions")}</h2>
            <ErrorAlert error={error} />
            <div className="actions">
              <button type="button" data-testid="fulfil" disabled={busy} onClick={() => void fulfil()}>
                {t("order.fulfil")}
              </button>
              <button type="button" data-testid="cancel-order" disabled={busy} onClick={() => void cancel()}>
                {t("order.cancel")}
              </button>
            </div>
            <div aria-live="polite">{result ? <StatusMessage testId="action-result">{result}</StatusMessage> : null}</div>
          </section>

          <section className="card" aria-labelledby="lines">
            <h2 id="lines">{t("order.lines")}</h2>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("product.name")}</th>
                  <th scope="col">{t("product.sku")}</th>
                  <th scope="col">{t("order.quantity")}</th>
                  <th scope="col">{t("order.unit_price")}</th>
                  <th scope="col">{t("order.line_total")}</th>
                </tr>
              </thead>
              <tbody>
                {order.items.map((line, index) => (
                  <tr key={`${line.line_id}-${index}`} data-testid="order-line" data-line={line.line_id}>
                    <td>{line.name}</td>
                    <td>{line.sku ?? "—"}</td>
                    <td>{line.quantity}</td>
                    <td>
                      <MoneyText money={line.unit_price} />
                    </td>
                    <td>
                      <MoneyText money={line.line_total} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>

          <ShipmentsCard order={order} onChange={update} statusText={statusText} />
          <RefundsCard order={order} onChange={update} statusText={statusText} />
          <ReturnsCard order={order} onChange={update} />

          <div className="grid">
            <section className="card" aria-labelledby="totals">
              <h2 id="totals">{t("order.totals")}</h2>
              <dl>
                {payment?.breakdown ? (
                  <>
                    <dt>{t("order.subtotal")}</dt>
                    <dd><MoneyText money={payment.breakdown.subtotal} /></dd>
                    <dt>{t("order.discount")}</dt>
                    <dd><MoneyText money={payment.breakdown.discount_total} /></dd>
                    <dt>{t("order.shipping")}</dt>
                    <dd><MoneyText money={payment.breakdown.shipping_total} /></dd>
                    <dt>{t(payment.breakdown.tax_included ? "order.tax_included" : "order.tax")}</dt>
                    <dd><MoneyText money={payment.breakdown.tax_total} /></dd>
                  </>
                ) : null}
                <dt>{t("orders.total")}</dt>
                <dd><strong><MoneyText money={order.total} /></strong></dd>
                <dt>{t("order.base_total")}</dt>
                <dd><MoneyText money={order.base_total} /></dd>
                <dt>{t("order.fx_rate")}</dt>
                <dd>{order.fx?.rate ?? "—"} {order.fx?.stale ? <span className="badge warn">{t("rates.stale")}</span> : null}</dd>
              </dl>
              {payment?.breakdown && payment.breakdown.taxes.length > 0 ? (
                <>
                  <h3>{t("order.taxes")}</h3>
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">{t("order.tax_name")}</th>
                        <th scope="col">{t("order.tax_rate")}</th>
                        <th scope="col">{t("dashboard.amount")}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {payment.breakdown.taxes.map((tax, index) => (
                        <tr key={`${tax.name}-${index}`}>
                          <td>{tax.name}</td>
                          <td>{tax.rate}</td>
                          <td><MoneyText money={tax.amount} /></td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </>
              ) : null}
            </section>

            <section className="card" aria-labelledby="payment">
              <h2 id="payment">{t("order.payment")}</h2>
              <ErrorAlert error={paymentError} />
              {payment ? (
                <dl>
                  <dt>{t("order.payment_status")}</dt>
                  <dd data-testid="payment-status" data-status={payment.status}>{t(`payment_status.${payment.status}`, { defaultValue: payment.status })}</dd>
                  <dt>{t("dashboard.amount")}</dt>
                  <dd><MoneyText money={payment.amount} /></dd>
                  <dt>{t("order.refunded")}</dt>
                  <dd><MoneyText money={payment.refunded_amount} /></dd>
                  <dt>{t("order.gateway")}</dt>
                  <dd>{payment.gateway ?? "—"}</dd>
                </dl>
              ) : (
                <p className="muted">{t("order.no_payment")}</p>
              )}
              {order.shipping_address ? (
                <>
                  <h3>{t("order.shipping_address")}</h3>
                  <address>
                    {[order.shipping_address.name, order.shipping_address.line1, order.shipping_address.line2, `${order.shipping_address.postal_code} ${order.shipping_address.city}`, order.shipping_address.region, order.shipping_address.country]
                      .filter(Boolean)
                      .map((line, index) => (
                        <span key={index} className="line">{line}</span>
                      ))}
                  </address>
                </>
              ) : null}
            </section>
          </div>

          <section className="card" aria-labelledby="history">
            <h2 id="history">{t("order.history")}</h2>
            <ol className="history">
              {order.history.map((entry, index) => (
                <li key={`${entry.at}-${index}`} data-testid="history-entry" data-status={entry.status}>
                  <DateTime value={entry.at} /> — <strong>{statusText(entry.status)}</strong>
                  {entry.reason ? <> · {entry.reason}</> : null}
                  {entry.actor ? <span className="muted"> · {entry.actor}</span> : null}
                </li>
              ))}
            </ol>
          </section>
        </>
      ) : null}
    </>
  );
}
