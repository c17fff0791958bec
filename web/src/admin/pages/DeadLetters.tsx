// Dead letters: what failed, per queue; send one back, or all of them.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../../shared/api";
import { DateTime, ErrorAlert, Field, Loading, StatusMessage, useLoad } from "../ui";

interface DeadLetter {
  queue: string;
  message_id: string;
  body: unknown;
  last_error: string | null;
  failed_at: string | null;
  receive_count: number;
  first_sent_at: string | null;
}
const QUEUES = ["audit", "auth-email", "order-email", "orders-events", "payment-webhooks", "users-events"];

export default function DeadLetters() {
  const { t } = useTranslation();
  const [queue, setQueue] = useState("");
  const { data, error, loading, reload } = useLoad(
    (signal) => api<{ items: DeadLetter[] }>("/api/v1/admin/dead-letters", { query: { queue: queue || undefined }, signal }),
    [queue],
  );
  const [actionError, setActionError] = useState<unknown>(null);
  const [result, setResult] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function redrive(path: string, body?: unknown) {
    setBusy(true);
    setActionError(null);
    setResult(null);
    try {
      const answer = await api<{ moved: Record<string, number> }>(path, { method: "POST", body });
      const total = Object.values(answer.moved ?? {}).reduce((n, count) => n + count, 0);
      setResult(t("dead_letters.moved", { count: total }));
      reload();
    } catch (reason) {
      setActionError(reason);
    } finally {
      setBusy(false);
    }
  }

  const groups = new Map<string, DeadLetter[]>();
  for (const item of data?.items ?? []) groups.set(item.queue, [...(groups.get(item.queue) ?? []), item]);

  return (
    <>
      <h1>{t("dead_letters.title")}</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <Field label={t("dead_letters.queue")} name="queue" value={queue} onChange={setQueue} options={[{ value: "", label: t("all") }, ...QUEUES.map((q) => ({ value: q, label: q }))]} />
        <button type="button" data-testid="redrive-all" disabled={busy} onClick={() => void redrive("/api/v1/admin/dead-letters/redrive", queue ? { queue } : {})}>
          {queue ? t("dead_letters.redrive_queue", { queue }) : t("dead_letters.redrive_all")}
        </button>
      </form>
      <ErrorAlert error={error ?? actionError} />
      <div aria-live="polite">{result ? <StatusMessage testId="action-result">{result}</StatusMessage> : null}</div>
      <Loading when={loading} />
      {data && data.items.length === 0 ? <p className="muted">{t("dead_letters.none")}</p> : null}
      {[...groups.entries()].map(([name, items]) => (
        <section key={name} aria-labelledby={`dlq-${name}`} className="card">
          <h2 id={`dlq-${name}`}>{t("dead_letters.queue_heading", { queue: name, count: items.length })}</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">{t("dead_letters.message")}</th>
                <th scope="col">{t("dead_letters.failed_at")}</th>
                <th scope="col">{t("dead_letters.receive_count")}</th>
                <th scope="col">{t("dead_letters.last_error")}</th>
                <th scope="col">{t("dead_letters.body")}</th>
                <th scope="col">{t("dead_letters.action")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.message_id} data-testid="dead-letter-row" data-queue={item.queue}>
                  <td><code>{item.message_id}</code></td>
                  <td><DateTime value={item.failed_at} /></td>
                  <td>{item.receive_count}</td>
                  <td>{item.last_error ?? t("dead_letters.moved_by_sqs")}</td>
                  <td>
                    <details>
                      <summary>{t("audit.show")}</summary>
                      <pre>{JSON.stringify(item.body, null, 2)}</pre>
                    </details>
                  </td>
                  <td>
                    <button
                      type="button"
                      data-testid="redrive"
                      disabled={busy}
                      onClick={() => void redrive(`/api/v1/admin/dead-letters/${encodeURIComponent(item.queue)}/${encodeURIComponent(item.message_id)}/redrive`)}
                    >
                      {t("dead_letters.redrive")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
    </>
  );
}
