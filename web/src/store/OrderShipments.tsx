// An order after payment, as the shopper sees it: its parcels (carrier, a tracking link, what each held) and
// its refunds (amount, whether the money is on its way back). Read only: the order view says it all.
import { useTranslation } from "react-i18next";
import type { Money } from "../shared/money";
import { Price, When } from "./ui";

export interface LineRef {
  line_id: string;
  quantity: number;
}
export interface OrderShipment {
  id: string;
  items: LineRef[];
  carrier: string | null;
  tracking_number: string | null;
  tracking_url: string | null;
  shipped_at: string;
}
export interface OrderRefund {
  id: string;
  amount: Money;
  status: string;
  requested_at: string;
}
/** What the order view adds after payment (orders service: shipments, refunds, returns). */
export interface AfterPaymentView {
  id: string;
  status: string;
  items: { line_id?: string; name?: string | null; quantity: number }[];
  shipments?: OrderShipment[];
  refunds?: OrderRefund[];
  refunded_total?: Money;
}

export function lineName(order: AfterPaymentView, lineId: string): string {
  return order.items.find((line, index) => (line.line_id ?? String(index)) === lineId)?.name ?? lineId;
}

/** Only an http(s) tracking link is a link (never a javascript: URL from somewhere). */
function safeUrl(url: string | null): string | null {
  return url && /^https?:\/\//i.test(url) ? url : null;
}

export function OrderShipments({ order }: { order: AfterPaymentView }) {
  const { t } = useTranslation();
  const shipments = order.shipments ?? [];
  const refunds = order.refunds ?? [];
  if (shipments.length === 0 && refunds.length === 0) return null;
  return (
    <>
      {shipments.length > 0 && (
        <section aria-labelledby="shipments-heading">
          <h2 id="shipments-heading">{t("shipments.title")}</h2>
          <ul className="plain">
            {shipments.map((shipment) => {
              const link = safeUrl(shipment.tracking_url);
              return (
                <li key={shipment.id} data-testid="shipment">
                  <When at={shipment.shipped_at} /> · {shipment.carrier ?? "—"}{" "}
                  {shipment.tracking_number &&
                    (link ? (
                      <a href={link} target="_blank" rel="noopener noreferrer" data-testid="tracking-link">
                        {t("shipments.track", { code: shipment.tracking_number })}
                      </a>
                    ) : (
                      <span data-testid="tracking-number">{shipment.tracking_number}</span>
                    ))}
                  <ul>
                    {shipment.items.map((item) => (
                      <li key={item.line_id}>
                        {item.quantity} × {lineName(order, item.line_id)}
                      </li>
                    ))}
                  </ul>
                </li>
              );
            })}
          </ul>
        </section>
      )}
      {refunds.length > 0 && (
        <section aria-labelledby="refunds-heading">
          <h2 id="refunds-heading">{t("refunds.title")}</h2>
          <ul className="plain">
            {refunds.map((refund) => (
              <li key={refund.id} data-testid="refund" data-status={refund.status}>
                <Price money={refund.amount} /> · {t(`refunds.${refund.status}`, { defaultValue: refund.status })} · <When at={refund.requested_at} />
              </li>
            ))}
          </ul>
          {order.refunded_total && (
            <p>
              {t("refunds.total")} <Price money={order.refunded_total} testId="refunded-total" />
            </p>
          )}
        </section>
      )}
    </>
  );
}
