// The dashboard: orders by status, revenue per currency (gross, refunded, net), FX freshness and queue depths, each as a
// chart and as text (a table) for whoever cannot see the chart.
import { useTranslation } from "react-i18next";
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { api } from "../../shared/api";
import { formatMoney, type Money } from "../../shared/money";
import { DateTime, ErrorAlert, Loading, MoneyText, useLoad, useLocale } from "../ui";

interface Depth {
  visible: number;
  in_flight: number;
}
interface DashboardAnswer {
  orders_by_status: Record<string, number> | null;
  revenue: Record<string, unknown> | null;
  revenue_breakdown?: Record<string, { gross: string; refunded: string; net: string }> | null;
  fx: { available: boolean; as_of: string | null; source: string | null; stale: boolean | null };
  queues: Record<string, { queue: Depth; dead_letters: Depth }>;
}

/** The revenue answer as Money, whichever shape the server sent ("12.00" or {amount, currency}). */
export function revenueEntries(revenue: Record<string, unknown> | null): Money[] {
  return Object.entries(revenue ?? {}).map(([currency, value]) => {
    if (value && typeof value === "object" && "amount" in value) return { currency, amount: String((value as Money).amount) };
    return { currency, amount: String(value) };
  });
}

export interface RevenueRow {
  currency: string;
  gross: Money;
  refunded: Money;
  net: Money;
}

/** Revenue per currency as gross / refunded / net (the server's strings); an answer without the breakdown
 * (an older admin service) counts its revenue as gross and net, nothing refunded. */
export function revenueRows(answer: Pick<DashboardAnswer, "revenue" | "revenue_breakdown"> | null): RevenueRow[] {
  const money = (currency: string, amount: string): Money => ({ currency, amount });
  if (answer?.revenue_breakdown)
    return Object.entries(answer.revenue_breakdown).map(([currency, f]) => ({
      currency,
      gross: money(currency, f.gross),
      refunded: money(currency, f.refunded),
      net: money(currency, f.net),
    }));
  return revenueEntries(answer?.revenue ?? null).map((m) => ({ currency: m.currency, gross: m, refunded: money(m.currency, "0"), net: m }));
}

export default function Dashboard() {
  const { t } = useTranslation();
  const locale = useLocale();
  const { data, error, loading } = useLoad((signal) => api<DashboardAnswer>("/api/v1/admin/dashboard", { signal }), []);
  const statuses = Object.entries(data?.orders_by_status ?? {}).map(([status, count]) => ({ status, label: t(`status.${status}`, { defaultValue: status }), count }));
  const revenue = revenueRows(data);
  // the chart's bar heights only; every figure shown to the person is the server's string via formatMoney
  const revenueChart = revenue.map((row) => ({
    currency: row.currency,
    gross: Number(row.gross.amount),
    refunded: Number(row.refunded.amount),
    net: Number(row.net.amount),
    row,
  }));
  const queues = Object.entries(data?.queues ?? {});
  const stale = data?.fx.stale ? "stale" : "fresh";

  return (
    <div data-testid="dashboard">
      <h1>{t("dashboard.title")}</h1>
      <Loading when={loading} />
      <ErrorAlert error={error} />
      {data ? (
        <div className="grid">
          <section className="card" data-testid="chart-orders-by-status" aria-labelledby="orders-by-status">
            <h2 id="orders-by-status">{t("dashboard.orders_by_status")}</h2>
            <figure aria-hidden="true" className="chart">
              <ResponsiveContainer width="100%" height={220}>
                <BarChart data={statuses} accessibilityLayer={false}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="label" fontSize={11} interval={0} angle={-20} textAnchor="end" height={50} />
                  <YAxis allowDecimals={false} fontSize={12} />
                  <Tooltip />
                  <Bar dataKey="count" name={t("dashboard.count")} fill="#1f5fa8" />
                </BarChart>
              </ResponsiveContainer>
            </figure>
            <table>
              <caption className="visually-hidden">{t("dashboard.orders_by_status")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("orders.status")}</th>
                  <th scope="col">{t("dashboard.count")}</th>
                </tr>
              </thead>
              <tbody>
                {statuses.map((row) => (
                  <tr key={row.status} data-status={row.status}>
                    <th scope="row">{row.label}</th>
                    <td>{row.count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>

          <section className="card" data-testid="chart-revenue" aria-labelledby="revenue">
            <h2 id="revenue">{t("dashboard.revenue")}</h2>
            {revenue.length === 0 ? (
              <p className="muted">{t("dashboard.no_revenue")}</p>
            ) : (
              <>
                <figure aria-hidden="true" className="chart">
                  <ResponsiveContainer width="100%" height={220}>
                    <BarChart data={revenueChart} accessibilityLayer={false}>
                      <CartesianGrid strokeDasharray="3 3" />
                      <XAxis dataKey="currency" fontSize={12} />
                      <YAxis fontSize={12} />
                      <Tooltip
                        formatter={(_value, _name, item) => {
                          const key = item.dataKey as "gross" | "refunded" | "net";
                          return formatMoney((item.payload as { row: RevenueRow }).row[key], locale);
                        }}
                      />
                      <Bar dataKey="gross" name={t("dashboard.gross")} fill="#1f5fa8" />
                      <Bar dataKey="refunded" name={t("dashboard.refunded")} fill="#b3261e" />
                      <Bar dataKey="net" name={t("dashboard.net")} fill="#2e7d4f" />
                    </BarChart>
                  </ResponsiveContainer>
                </figure>
                <div className="scroll" tabIndex={0} role="region" aria-label={t("dashboard.revenue")}>
                  <table>
                    <caption className="visually-hidden">{t("dashboard.revenue")}</caption>
                    <thead>
                      <tr>
                        <th scope="col">{t("dashboard.currency")}</th>
                        <th scope="col">{t("dashboard.gross")}</th>
                        <th scope="col">{t("dashboard.refunded")}</th>
                        <th scope="col">{t("dashboard.net")}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {revenue.map((row) => (
                        <tr key={row.currency} data-testid="revenue-row" data-currency={row.currency}>
                          <th scope="row">{row.currency}</th>
                          <td data-testid="revenue-gross"><MoneyText money={row.gross} /></td>
                          <td data-testid="revenue-refunded"><MoneyText money={row.refunded} /></td>
                          <td data-testid="revenue-net"><MoneyText money={row.net} /></td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </>
            )}
          </section>

          <section className="card" data-testid="fx-freshness" data-status={stale} aria-labelledby="fx">
            <h2 id="fx">{t("dashboard.fx")}</h2>
            <p className={data.fx.stale ? "badge warn" : "badge ok"}>{t(data.fx.stale ? "rates.stale" : "rates.fresh")}</p>
            <dl>
              <dt>{t("rates.as_of")}</dt>
              <dd>
                <DateTime value={data.fx.as_of} />
              </dd>
              <dt>{t("rates.source")}</dt>
              <dd>{data.fx.source ?? "—"}</dd>
              <dt>{t("dashboard.fx_available")}</dt>
              <dd>{t(data.fx.available ? "yes" : "no")}</dd>
            </dl>
          </section>

          <section className="card wide" data-testid="queue-depths" aria-labelledby="queues">
            <h2 id="queues">{t("dashboard.queues")}</h2>
            <figure aria-hidden="true" className="chart">
              <ResponsiveContainer width="100%" height={220}>
                <BarChart data={queues.map(([name, q]) => ({ name, queue: q.queue.visible + q.queue.in_flight, dead: q.dead_letters.visible + q.dead_letters.in_flight }))} accessibilityLayer={false}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="name" fontSize={11} interval={0} />
                  <YAxis allowDecimals={false} fontSize={12} />
                  <Tooltip />
                  <Bar dataKey="queue" name={t("dashboard.queue")} fill="#1f5fa8" />
                  <Bar dataKey="dead" name={t("dashboard.dead_letters")} fill="#b3261e" />
                </BarChart>
              </ResponsiveContainer>
            </figure>
            <table>
              <caption className="visually-hidden">{t("dashboard.queues")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("dashboard.queue_name")}</th>
                  <th scope="col">{t("dashboard.visible")}</th>
                  <th scope="col">{t("dashboard.in_flight")}</th>
                  <th scope="col">{t("dashboard.dead_visible")}</th>
                  <th scope="col">{t("dashboard.dead_in_flight")}</th>
                </tr>
              </thead>
              <tbody>
                {queues.map(([name, q]) => (
                  <tr key={name}>
                    <th scope="row">{name}</th>
                    <td>{q.queue.visible}</td>
                    <td>{q.queue.in_flight}</td>
                    <td>{q.dead_letters.visible}</td>
                    <td>{q.dead_letters.in_flight}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </div>
      ) : null}
    </div>
  );
}
