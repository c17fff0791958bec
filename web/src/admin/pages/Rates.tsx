// Exchange rates: when and where from, stale or not, and a refresh (what the hourly schedule does).
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../../shared/api";
import { DateTime, ErrorAlert, Loading, StatusMessage, useLoad } from "../ui";

interface Rates {
  base: string;
  rates: Record<string, string>;
  as_of: string;
  source: string;
  stale: boolean;
  confirmed_at?: string;
}

export default function RatesPage() {
  const { t } = useTranslation();
  const { data, error, loading, reload } = useLoad((signal) => api<Rates>("/api/v1/localization/rates", { signal }), []);
  const [actionError, setActionError] = useState<unknown>(null);
  const [result, setResult] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function refresh() {
    setBusy(true);
    setActionError(null);
    setResult(null);
    try {
      const answer = await api<{ status: string; detail?: string }>("/api/v1/localization/rates/refresh", { method: "POST", body: {} });
      setResult(t("rates.refresh_result", { status: answer.status, label: t(`rates.outcome.${answer.status}`, { defaultValue: answer.status }) }));
      reload();
    } catch (reason) {
      setActionError(reason);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <h1>{t("rates.title")}</h1>
      <ErrorAlert error={error ?? actionError} />
      <Loading when={loading} />
      {data ? (
        <section className="card" aria-labelledby="rates-snapshot">
          <h2 id="rates-snapshot">{t("rates.snapshot", { base: data.base })}</h2>
          <dl>
            <dt>{t("rates.as_of")}</dt>
            <dd data-testid="rates-as-of" data-status={data.stale ? "stale" : "fresh"}>
              <DateTime value={data.as_of} />
            </dd>
            <dt>{t("rates.source")}</dt>
            <dd>{data.source}</dd>
            <dt>{t("rates.freshness")}</dt>
            <dd>
              <span className={data.stale ? "badge warn" : "badge ok"}>{t(data.stale ? "rates.stale" : "rates.fresh")}</span>
            </dd>
            {data.confirmed_at ? (
              <>
                <dt>{t("rates.confirmed_at")}</dt>
                <dd><DateTime value={data.confirmed_at} /></dd>
              </>
            ) : null}
          </dl>
          <button type="button" data-testid="refresh-rates" disabled={busy} onClick={() => void refresh()}>
            {t("rates.refresh")}
          </button>
          <div aria-live="polite">{result ? <StatusMessage testId="action-result">{result}</StatusMessage> : null}</div>
          <table>
            <caption>{t("rates.table", { base: data.base })}</caption>
            <thead>
              <tr>
                <th scope="col">{t("dashboard.currency")}</th>
                <th scope="col">{t("rates.rate")}</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(data.rates).map(([currency, rate]) => (
                <tr key={currency}>
                  <th scope="row">{currency}</th>
                  <td>{rate}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </>
  );
}
