// An order after payment, in the console: its shipments and the "Ship" form (lines and quantities left to ship),
// its refunds and the refund form (reason required, amount optional: all that is left), and its returns with the
// step each one's status allows (approve, reject with a reason, receive with restocking per line, refund).
// The server decides every rule (what is left to ship or refund, which return step is allowed); the console only
// offers what the order says and shows the server's answer, errors next to their fields.
import { useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api, newIdempotencyKey } from "../../shared/api";
import { describeError } from "../../shared/i18n";
import type { Money } from "../../shared/money";
import { DateTime, ErrorAlert, Field, MoneyText, StatusMessage } from "../ui";
import { Checkbox } from "./editing";

export interface OrderLine {
  line_id: string;
  product_id: string;
  sku: string | null;
  name: string;
  quantity: number;
  unit_price: Money;
  line_total: Money;
}
export interface LineRef {
  line_id: string;
  quantity: number;
}
export interface Shipment {
  id: string;
  items: LineRef[];
  carrier: string | null;
  tracking_number: string | null;
  tracking_url: string | null;
  shipped_at: string;
  actor: string;
}
export interface Refund {
  id: string;
  amount: Money;
  reason: string;
  lines: LineRef[];
  status: string;
  requested_at: string;
  settled_at: string | null;
  source: string;
}
export interface ReturnLine {
  line_id: string;
  name: string | null;
  sku: string | null;
  quantity: number;
  reason: string | null;
  received: number | null;
  restock: boolean | null;
}
export interface OrderReturn {
  id: string;
  status: string;
  items: ReturnLine[];
  note: string | null;
  requested_at: string;
  rejected_reason: string | null;
  refund: { id: string; amount: Money } | null;
}
export interface AfterPayment {
  id: string;
  status: string;
  fulfillment_status?: string;
  items: OrderLine[];
  total: Money;
  shipments?: Shipment[];
  refunds?: Refund[];
  refunded_total?: Money;
  returns?: OrderReturn[];
}

/** Per line: how many are left to ship (its quantity less what its shipments hold). */
export function leftToShip(order: Pick<AfterPayment, "items" | "shipments">): Record<string, number> {
  const left: Record<string, number> = {};
  for (const line of order.items) left[line.line_id] = line.quantity;
  for (const shipment of order.shipments ?? [])
    for (const item of shipment.items) if (item.line_id in left) left[item.line_id] = Math.max(0, left[item.line_id] - item.quantity);
  return left;
}

/** A field error of `items.<n>.<field>` put on the line it names (the form's n-th sent line). */
export function lineErrors(fields: Record<string, string>, sent: string[], prefix = "items"): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, message] of Object.entries(fields)) {
    const match = new RegExp(`^${prefix}\\.(\\d+)(\\.|$)`).exec(path);
    if (match && sent[Number(match[1])] !== undefined) out[sent[Number(match[1])]] ??= message;
  }
  return out;
}

function lineName(order: AfterPayment, lineId: string): string {
  return order.items.find((line) => line.line_id === lineId)?.name ?? lineId;
}

function LineList({ order, lines }: { order: AfterPayment; lines: LineRef[] }) {
  if (lines.length === 0) return <>—</>;
  return (
    <ul className="plain">
      {lines.map((line) => (
        <li key={line.line_id}>
          {line.quantity} × {lineName(order, line.line_id)}
        </li>
      ))}
    </ul>
  );
}

/** Runs one action at a time: busy, its error and its outcome message. */
function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<string | null>(null);
  async function run(action: () => Promise<string>) {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await action());
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, result, run };
}

type Update = (order: AfterPayment) => void;

// ---------------------------------------------------------------------------------------------- shipments
export function ShipmentsCard({ order, onChange, statusText }: { order: AfterPayment; onChange: Update; statusText: (s: string) => string }) {
  const { t } = useTranslation();
  const left = leftToShip(order);
  const open = order.items.filter((line) => left[line.line_id] > 0);
  const [quantities, setQuantities] = useState<Record<string, string>>({});
  const [carrier, setCarrier] = useState("");
  const [tracking, setTracking] = useState("");
  const [trackingUrl, setTrackingUrl] = useState("");
  const [sent, setSent] = useState<string[]>([]);
  const action = useAction();
  const fields = action.error ? describeError(action.error, t).fields : {};
  const perLine = lineErrors(fields, sent);
  const shippable = ["paid", "partially_fulfilled", "partially_refunded"].includes(order.status);

  const ship = (event: FormEvent) => {
    event.preventDefault();
    const items = open
      .map((line) => ({ line_id: line.line_id, quantity: Number(quantities[line.line_id] ?? left[line.line_id]) }))
      .filter((item) => item.quantity !== 0);
    setSent(items.map((item) => item.line_id));
    void action.run(async () => {
      const answer = await api<AfterPayment>(`/api/v1/orders/${order.id}/shipments`, {
        method: "POST",
        body: { items, carrier: carrier.trim(), tracking_number: tracking.trim(), ...(trackingUrl.trim() ? { tracking_url: trackingUrl.trim() } : {}) },
      });
      onChange(answer);
      setQuantities({});
      setCarrier("");
      setTracking("");
      setTrackingUrl("");
      return t("order.result_status", { status: statusText(answer.status) });
    });
  };

  return (
    <section className="card" aria-labelledby="shipments" data-testid="shipments">
      <h2 id="shipments">{t("fulfilment.shipments")}</h2>
      <p>
        {t("fulfilment.fulfillment_status")}:{" "}
        <strong data-testid="fulfillment-status" data-status={order.fulfillment_status ?? "unfulfilled"}>
          {t(`fulfilment.status_${order.fulfillment_status ?? "unfulfilled"}`, { defaultValue: order.fulfillment_status })}
        </strong>
      </p>
      {(order.shipments ?? []).length === 0 ? (
        <p className="muted">{t("fulfilment.no_shipments")}</p>
      ) : (
        <table>
          <caption className="visually-hidden">{t("fulfilment.shipments")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("fulfilment.shipped_at")}</th>
              <th scope="col">{t("fulfilment.carrier")}</th>
              <th scope="col">{t("fulfilment.tracking")}</th>
              <th scope="col">{t("fulfilment.contents")}</th>
            </tr>
          </thead>
          <tbody>
            {(order.shipments ?? []).map((shipment) => (
              <tr key={shipment.id} data-testid="shipment-row">
                <td><DateTime value={shipment.shipped_at} /></td>
                <td>{shipment.carrier ?? "—"}</td>
                <td>
                  {shipment.tracking_url && /^https?:\/\//.test(shipment.tracking_url) ? (
                    <a href={shipment.tracking_url} target="_blank" rel="noopener noreferrer">{shipment.tracking_number ?? shipment.tracking_url}</a>
                  ) : (
                    shipment.tracking_number ?? "—"
                  )}
                </td>
                <td><LineList order={order} lines={shipment.items} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {shippable && open.length > 0 ? (
        <form onSubmit={ship} noValidate aria-labelledby="ship-heading">
          <h3 id="ship-heading">{t("fulfilment.ship")}</h3>
          <ErrorAlert error={action.error} />
          <div className="form-grid">
            {open.map((line) => (
              <Field
                key={line.line_id}
                label={t("fulfilment.ship_line", { name: line.name, count: left[line.line_id] })}
                name={`ship-${line.line_id}`}
                value={quantities[line.line_id] ?? String(left[line.line_id])}
                onChange={(value) => setQuantities({ ...quantities, [line.line_id]: value })}
                errors={perLine}
                errorKey={line.line_id}
                type="number"
                inputMode="numeric"
                testId={`ship-line-${line.line_id}`}
              />
            ))}
            <Field label={t("fulfilment.carrier")} name="carrier" value={carrier} onChange={setCarrier} errors={fields} required testId="ship-carrier" />
            <Field label={t("fulfilment.tracking_number")} name="tracking_number" value={tracking} onChange={setTracking} errors={fields} required testId="ship-tracking" />
            <Field label={t("fulfilment.tracking_url")} name="tracking_url" value={trackingUrl} onChange={setTrackingUrl} errors={fields} type="url" testId="ship-tracking-url" />
            <div className="actions">
              <button type="submit" data-testid="create-shipment" disabled={action.busy}>
                {t("fulfilment.create_shipment")}
              </button>
            </div>
          </div>
        </form>
      ) : null}
      <div aria-live="polite">{action.result ? <StatusMessage testId="shipment-result">{action.result}</StatusMessage> : null}</div>
    </section>
  );
}

// ---------------------------------------------------------------------------------------------- refunds
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The payment confirms a refund asynchronously: show the order, then follow it while a refund is pending (up to
 * half a minute); the last order read. */
async function followRefunds(order: AfterPayment, onChange: Update): Promise<AfterPayment> {
  let fresh = order;
  onChange(fresh);
  for (let i = 0; i < 40 && (fresh.refunds ?? []).some((r) => r.status === "pending"); i++) {
    await sleep(750);
    fresh = await api<AfterPayment>(`/api/v1/orders/${order.id}`);
    onChange(fresh);
  }
  return fresh;
}

export function RefundsCard({ order, onChange, statusText }: { order: AfterPayment; onChange: Update; statusText: (s: string) => string }) {
  const { t } = useTranslation();
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const attempt = useRef<{ key: string; body: string } | null>(null);
  const action = useAction();
  const fields = action.error ? describeError(action.error, t).fields : {};
  const refundable = ["paid", "partially_fulfilled", "fulfilled", "partially_refunded"].includes(order.status);

  const refund = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const body = { reason: reason.trim(), ...(amount.trim() ? { amount: amount.trim() } : {}) };
      const text = JSON.stringify(body);
      // the same refund tried again (e.g. after a timeout) keeps its Idempotency-Key: it never refunds twice
      if (!attempt.current || attempt.current.body !== text) attempt.current = { key: newIdempotencyKey(), body: text };
      const answer = await api<AfterPayment>(`/api/v1/orders/${order.id}/refunds`, { method: "POST", body, idempotencyKey: attempt.current.key });
      attempt.current = null;
      setAmount("");
      setReason("");
      const fresh = await followRefunds(answer, onChange);
      return t("order.result_status", { status: statusText(fresh.status) });
    });
  };

  return (
    <section className="card" aria-labelledby="refunds" data-testid="refunds">
      <h2 id="refunds">{t("fulfilment.refunds")}</h2>
      <p>
        {t("order.refunded")}: <strong data-testid="refunded-total"><MoneyText money={order.refunded_total} /></strong>
      </p>
      {(order.refunds ?? []).length === 0 ? (
        <p className="muted">{t("fulfilment.no_refunds")}</p>
      ) : (
        <table>
          <caption className="visually-hidden">{t("fulfilment.refunds")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("fulfilment.requested_at")}</th>
              <th scope="col">{t("dashboard.amount")}</th>
              <th scope="col">{t("fulfilment.reason")}</th>
              <th scope="col">{t("orders.status")}</th>
              <th scope="col">{t("fulfilment.contents")}</th>
            </tr>
          </thead>
          <tbody>
            {(order.refunds ?? []).map((refund) => (
              <tr key={refund.id} data-testid="refund-row" data-status={refund.status}>
                <td><DateTime value={refund.requested_at} /></td>
                <td><MoneyText money={refund.amount} /></td>
                <td>{refund.reason}</td>
                <td>
                  <span className={`badge refund-${refund.status}`}>{t(`fulfilment.refund_${refund.status}`, { defaultValue: refund.status })}</span>
                </td>
                <td><LineList order={order} lines={refund.lines} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {refundable ? (
        <form onSubmit={refund} noValidate className="inline-form" aria-label={t("fulfilment.refund_form")}>
          <ErrorAlert error={action.error} />
          <Field
            label={t("order.refund_amount", { currency: order.total.currency })}
            name="amount"
            value={amount}
            onChange={setAmount}
            errors={fields}
            inputMode="decimal"
            testId="refund-amount"
            hint={t("order.refund_hint")}
          />
          <Field label={t("fulfilment.reason")} name="reason" value={reason} onChange={setReason} errors={fields} required testId="refund-reason" />
          <button type="submit" data-testid="create-refund" disabled={action.busy}>
            {t("order.refund")}
          </button>
        </form>
      ) : null}
      <div aria-live="polite">{action.result ? <StatusMessage testId="refund-result">{action.result}</StatusMessage> : null}</div>
    </section>
  );
}

// ---------------------------------------------------------------------------------------------- returns
export function ReturnsCard({ order, onChange }: { order: AfterPayment; onChange: Update }) {
  const { t } = useTranslation();
  const returns = order.returns ?? [];
  return (
    <section className="card" aria-labelledby="returns" data-testid="returns">
      <h2 id="returns">{t("fulfilment.returns")}</h2>
      {returns.length === 0 ? <p className="muted">{t("fulfilment.no_returns")}</p> : null}
      {returns.map((item) => (
        <ReturnEntry key={item.id} order={order} entry={item} onChange={onChange} />
      ))}
    </section>
  );
}

function ReturnEntry({ order, entry, onChange }: { order: AfterPayment; entry: OrderReturn; onChange: Update }) {
  const { t } = useTranslation();
  const action = useAction();
  const [rejectReason, setRejectReason] = useState("");
  const [received, setReceived] = useState<Record<string, string>>({});
  const [restock, setRestock] = useState<Record<string, boolean>>({});
  const [refundAmount, setRefundAmount] = useState("");
  const fields = action.error ? describeError(action.error, t).fields : {};
  const perLine = lineErrors(fields, entry.items.map((line) => line.line_id));
  const base = `/api/v1/orders/${order.id}/returns/${entry.id}`;
  const returnStatus = (status: string) => t(`fulfilment.return_${status}`, { defaultValue: status });

  const step = (path: string, body?: unknown) =>
    action.run(async () => {
      let answer = await api<AfterPayment>(`${base}/${path}`, { method: "POST", body: body ?? {} });
      if (path === "refund") answer = await followRefunds(answer, onChange);
      else onChange(answer);
      const now = answer.returns?.find((r) => r.id === entry.id)?.status ?? entry.status;
      return t("fulfilment.return_result", { status: returnStatus(now) });
    });

  const reject = (event: FormEvent) => {
    event.preventDefault();
    void step("reject", { reason: rejectReason.trim() });
  };
  const receive = (event: FormEvent) => {
    event.preventDefault();
    void step("receive", {
      items: entry.items.map((line) => ({
        line_id: line.line_id,
        quantity: Number(received[line.line_id] ?? line.quantity),
        restock: restock[line.line_id] ?? true,
      })),
    });
  };
  const refund = (event: FormEvent) => {
    event.preventDefault();
    void step("refund", refundAmount.trim() ? { amount: refundAmount.trim() } : {});
  };

  const headingId = `return-${entry.id}-heading`;
  return (
    <article className="return" data-testid={`return-${entry.id}`} data-status={entry.status} aria-labelledby={headingId}>
      <h3 id={headingId}>
        {t("fulfilment.return_title", { id: entry.id.slice(0, 8) })}{" "}
        <span className={`badge return-${entry.status}`} data-testid="return-status" data-status={entry.status}>
          {returnStatus(entry.status)}
        </span>
      </h3>
      <p className="muted">
        <DateTime value={entry.requested_at} />
        {entry.note ? <> · {entry.note}</> : null}
        {entry.rejected_reason ? <> · {t("fulfilment.rejected_because", { reason: entry.rejected_reason })}</> : null}
        {entry.refund ? <> · {t("fulfilment.refunded_amount")} <MoneyText money={entry.refund.amount} /></> : null}
      </p>
      <table>
        <caption className="visually-hidden">{t("fulfilment.return_title", { id: entry.id.slice(0, 8) })}</caption>
        <thead>
          <tr>
            <th scope="col">{t("product.name")}</th>
            <th scope="col">{t("order.quantity")}</th>
            <th scope="col">{t("fulfilment.reason")}</th>
            <th scope="col">{t("fulfilment.received")}</th>
          </tr>
        </thead>
        <tbody>
          {entry.items.map((line) => (
            <tr key={line.line_id}>
              <td>{line.name ?? lineName(order, line.line_id)}</td>
              <td>{line.quantity}</td>
              <td>{line.reason ?? "—"}</td>
              <td>
                {line.received === null ? "—" : line.received}
                {line.restock ? <span className="badge ok">{t("fulfilment.restocked")}</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorAlert error={action.error} />
      {entry.status === "requested" ? (
        <div className="actions">
          <button type="button" data-testid="approve-return" disabled={action.busy} onClick={() => void step("approve")}>
            {t("fulfilment.approve")}
          </button>
        </div>
      ) : null}
      {entry.status === "approved" ? (
        <form onSubmit={receive} noValidate aria-label={t("fulfilment.receive")}>
          <div className="form-grid">
            {entry.items.map((line) => (
              <fieldset key={line.line_id}>
                <legend>{line.name ?? lineName(order, line.line_id)}</legend>
                <Field
                  label={t("fulfilment.received_quantity")}
                  name={`received-${line.line_id}`}
                  value={received[line.line_id] ?? String(line.quantity)}
                  onChange={(value) => setReceived({ ...received, [line.line_id]: value })}
                  errors={perLine}
                  errorKey={line.line_id}
                  type="number"
                  inputMode="numeric"
                  testId={`received-${line.line_id}`}
                />
                <Checkbox
                  label={t("fulfilment.restock")}
                  name={`restock-${line.line_id}`}
                  checked={restock[line.line_id] ?? true}
                  onChange={(value) => setRestock({ ...restock, [line.line_id]: value })}
                  testId={`restock-${line.line_id}`}
                />
              </fieldset>
            ))}
            <div className="actions">
              <button type="submit" data-testid="receive-return" disabled={action.busy}>
                {t("fulfilment.receive")}
              </button>
            </div>
          </div>
        </form>
      ) : null}
      {entry.status === "requested" || entry.status === "approved" ? (
        <form onSubmit={reject} noValidate className="inline-form" aria-label={t("fulfilment.reject")}>
          <Field label={t("fulfilment.reject_reason")} name="reason" value={rejectReason} onChange={setRejectReason} errors={fields} required testId="reject-reason" />
          <button type="submit" className="danger" data-testid="reject-return" disabled={action.busy}>
            {t("fulfilment.reject")}
          </button>
        </form>
      ) : null}
      {entry.status === "received" ? (
        <form onSubmit={refund} noValidate className="inline-form" aria-label={t("fulfilment.refund_return")}>
          <Field
            label={t("order.refund_amount", { currency: order.total.currency })}
            name="amount"
            value={refundAmount}
            onChange={setRefundAmount}
            errors={fields}
            inputMode="decimal"
            testId="return-refund-amount"
            hint={t("fulfilment.return_refund_hint")}
          />
          <button type="submit" data-testid="refund-return" disabled={action.busy}>
            {t("fulfilment.refund_return")}
          </button>
        </form>
      ) : null}
      <div aria-live="polite">{action.result ? <StatusMessage testId="return-result">{action.result}</StatusMessage> : null}</div>
    </article>
  );
}
