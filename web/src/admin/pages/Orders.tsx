// Orders: filter by status, page through, open one.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { api } from "../../shared/api";
import type { Money } from "../../shared/money";
import { DateTime, ErrorAlert, Field, Loading, MoneyText, Pager, shortId, useLoad } from "../ui";

export const ORDER_STATUSES = ["pending_payment", "paid", "partially_fulfilled", "fulfilled", "partially_refunded", "refunded", "cancelled"];

interface OrderRow {
  id: string;
  user_id: string;
  status: string;
  total: Money;
  created_at: string;
  items: { quantity: number }[];
}

export default function Orders() {
  const { t } = useTranslation();
  const [status, setStatus] = useState("");
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const { data, error, loading } = useLoad(
    (signal) => api<{ items: OrderRow[]; next_cursor: string | null }>("/api/v1/orders", { query: { status: status || undefined, cursor, limit: 25 }, signal }),
    [status, cursor],
  );
  return (
    <>
      <h1>{t("orders.title")}</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <Field
          label={t("orders.status_filter")}
          name="status"
          value={status}
          testId="status-filter"
          onChange={(v) => { setStatus(v); setCursors([]); }}
          options={[{ value: "", label: t("all") }, ...ORDER_STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) }))]}
        />
      </form>
      <ErrorAlert error={error} />
      <Loading when={loading} />
      <table>
        <caption className="visually-hidden">{t("orders.title")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("orders.id")}</th>
            <th scope="col">{t("orders.created")}</th>
            <th scope="col">{t("orders.customer")}</th>
            <th scope="col">{t("orders.items")}</th>
            <th scope="col">{t("orders.status")}</th>
            <th scope="col">{t("orders.total")}</th>
          </tr>
        </thead>
        <tbody>
          {data?.items.map((order) => (
            <tr key={order.id} data-testid="order-row" data-id={order.id} data-status={order.status}>
              <td>
                <Link to={`/orders/${order.id}`}>
                  {shortId(order.id)}
                </Link>
              </td>
              <td>
                <DateTime value={order.created_at} />
              </td>
              <td>{order.user_id ? shortId(order.user_id) : t("orders.guest")}</td>
              <td>{t("orders.item_count", { count: order.items.reduce((n, line) => n + line.quantity, 0) })}</td>
              <td>
                <span className={`badge status-${order.status}`}>{t(`status.${order.status}`, { defaultValue: order.status })}</span>
              </td>
              <td>
                <MoneyText money={order.total} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.items.length === 0 ? <p className="muted">{t("empty")}</p> : null}
      <Pager cursors={cursors} setCursors={setCursors} next={data?.next_cursor} />
    </>
  );
}
