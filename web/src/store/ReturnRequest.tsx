// Returns on the order page: the shopper's returns with where each stands, and "Return items" for what shipped
// and is not already in a return (quantities per line, a reason). The orders service decides what may go back
// (the return window, the quantities): its refusal is shown as it says, next to the line it names.
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../shared/api";
import type { DescribedError } from "../shared/i18n";
import type { Money } from "../shared/money";
import { lineName, type AfterPaymentView } from "./OrderShipments";
import { Field, FormError, Price, When, useDescribe } from "./ui";

export interface OrderReturn {
  id: string;
  status: string;
  items: { line_id: string; name?: string | null; quantity: number; reason?: string | null }[];
  requested_at: string;
  rejected_reason?: string | null;
  refund?: { id: string; amount: Money } | null;
}
export interface ReturnsView extends AfterPaymentView {
  returns?: OrderReturn[];
}

const CLOSED = ["cancelled", "refunded", "pending_payment"];

/** Per line: how many may still be returned (shipped, less what its returns not rejected ask back). */
export function returnable(order: ReturnsView): Record<string, number> {
  const left: Record<string, number> = {};
  for (const shipment of order.shipments ?? [])
    for (const item of shipment.items) left[item.line_id] = (left[item.line_id] ?? 0) + item.quantity;
  for (const ret of order.returns ?? [])
    if (ret.status !== "rejected") for (const item of ret.items) left[item.line_id] = Math.max(0, (left[item.line_id] ?? 0) - item.quantity);
  return Object.fromEntries(Object.entries(left).filter(([, n]) => n > 0));
}

export function ReturnRequest({ order, onChange, canRequest }: { order: ReturnsView; onChange: (order: ReturnsView) => void; canRequest: boolean }) {
  const { t } = useTranslation();
  const describe = useDescribe();
  const [open, setOpen] = useState(false);
  const [quantities, setQuantities] = useState<Record<string, string>>({});
  const [reason, setReason] = useState("");
  const [error, setError] = useState<DescribedError | null>(null);
  const [sent, setSent] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const left = returnable(order);
  const lines = Object.keys(left);
  const returns = order.returns ?? [];
  const offer = canRequest && lines.length > 0 && !CLOSED.includes(order.status);
  if (returns.length === 0 && !offer) return null;

  const lineError = (lineId: string) => {
    const index = sent.indexOf(lineId);
    if (!error || index < 0) return undefined;
    return Object.entries(error.fields).find(([path]) => path.startsWith(`items.${index}.`) || path === `items.${index}`)?.[1];
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    const items = lines
      .map((lineId) => ({ line_id: lineId, quantity: Number(quantities[lineId] ?? 0), ...(reason.trim() ? { reason: reason.trim() } : {}) }))
      .filter((item) => item.quantity !== 0);
    setSent(items.map((item) => item.line_id));
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      const answer = await api<ReturnsView>(`/api/v1/orders/${order.id}/returns`, { method: "POST", body: { items, ...(reason.trim() ? { note: reason.trim() } : {}) } });
      onChange(answer);
      setOpen(false);
      setQuantities({});
      setReason("");
      setDone(true);
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="returns-heading">
      <h2 id="returns-heading">{t("returns.title")}</h2>
      {returns.length > 0 && (
        <ul className="plain">
          {returns.map((ret) => (
            <li key={ret.id} data-testid="return" data-id={ret.id}>
              <strong data-testid="return-status" data-status={ret.status} className={`status status-return-${ret.status}`}>
                {t(`returns.status_${ret.status}`, { defaultValue: ret.status })}
              </strong>{" "}
              — <When at={ret.requested_at} />
              {ret.rejected_reason && <span className="muted"> · {ret.rejected_reason}</span>}
              {ret.refund && (
                <>
                  {" "}· {t("returns.refunded")} <Price money={ret.refund.amount} />
                </>
              )}
              <ul>
                {ret.items.map((item) => (
                  <li key={item.line_id}>
                    {item.quantity} × {item.name ?? lineName(order, item.line_id)}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
      {done && (
        <p role="status" className="ok" data-testid="return-requested">
          {t("returns.requested")}
        </p>
      )}
      {offer && !open && (
        <p>
          <button type="button" data-testid="return-items" onClick={() => setOpen(true)}>
            {t("returns.start")}
          </button>
        </p>
      )}
      {offer && open && (
        <form onSubmit={(e) => void submit(e)} noValidate aria-labelledby="return-form-heading">
          <h3 id="return-form-heading">{t("returns.start")}</h3>
          <FormError error={error} />
          {lines.map((lineId) => (
            <Field
              key={lineId}
              label={t("returns.quantity", { name: lineName(order, lineId), max: left[lineId] })}
              name={`return-${lineId}`}
              type="number"
              inputMode="numeric"
              min={0}
              max={left[lineId]}
              value={quantities[lineId] ?? "0"}
              onChange={(e) => setQuantities({ ...quantities, [lineId]: e.target.value })}
              error={lineError(lineId)}
              data-testid={`return-line-${lineId}`}
            />
          ))}
          <Field
            label={t("returns.reason")}
            name="reason"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            error={error?.fields.note ?? error?.fields["items.0.reason"]}
            maxLength={200}
            data-testid="return-reason"
          />
          <p>
            <button type="submit" className="primary" data-testid="request-return" disabled={busy}>
              {t("returns.submit")}
            </button>{" "}
            <button type="button" onClick={() => setOpen(false)}>
              {t("returns.cancel")}
            </button>
          </p>
        </form>
      )}
    </section>
  );
}
