// Merchants' webhooks: endpoints (register with the events wanted, the signing secret shown ONCE with a copy
// hint, enable/disable, delete) and an endpoint's delivery log (status, attempts, the last response, the next
// attempt) with redelivery. The webhooks service decides what a target may be (no private addresses) and
// answers each refusal as a field error, shown next to its field.
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../../shared/api";
import { describeError } from "../../shared/i18n";
import { DateTime, ErrorAlert, Field, Loading, Pager, StatusMessage, shortId, useLoad } from "../ui";
import { Checkbox } from "./editing";

/** The events of the shared contract (the webhooks service's catalog); "*" is every one, later ones too. */
export const WEBHOOK_EVENTS = [
  "order.placed", "order.paid", "order.partially_fulfilled", "order.fulfilled", "order.cancelled",
  "order.partially_refunded", "order.refunded", "order.payment_failed",
  "return.requested", "return.approved", "return.rejected", "return.received", "return.refunded",
];
export const ALL_EVENTS = "*";

export interface Endpoint {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  disabled_reason: string | null;
  failing_since: string | null;
  last_success_at: string | null;
  created_at: string;
}
interface Attempt {
  at: string;
  status_code: number | null;
  response_excerpt: string | null;
  error: string | null;
}
interface Delivery {
  id: string;
  event_type: string;
  order_id: string | null;
  order_version: number | null;
  status: string;
  attempts: number;
  last_attempt: Attempt | null;
  next_attempt_at: string | null;
  created_at: string;
}

/** The events to send: "*" alone when every one is chosen (so events added later come too). */
export function chosenEvents(all: boolean, picked: string[]): string[] {
  if (all) return [ALL_EVENTS];
  return WEBHOOK_EVENTS.filter((event) => picked.includes(event));
}

const BASE = "/api/v1/webhooks";

export default function Webhooks() {
  const { t } = useTranslation();
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const { data, error, loading, reload } = useLoad(
    (signal) => api<{ items: Endpoint[]; next_cursor: string | null }>(`${BASE}/endpoints`, { query: { cursor, limit: 25 }, signal }),
    [cursor],
  );
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [selected, setSelected] = useState<Endpoint | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [result, setResult] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function act(run: () => Promise<string>) {
    setBusy(true);
    setActionError(null);
    setResult(null);
    try {
      setResult(await run());
      reload();
    } catch (reason) {
      setActionError(reason);
    } finally {
      setBusy(false);
    }
  }

  const toggle = (endpoint: Endpoint) =>
    act(async () => {
      const answer = await api<Endpoint>(`${BASE}/endpoints/${endpoint.id}`, { method: "PATCH", body: { enabled: !endpoint.enabled } });
      if (selected?.id === answer.id) setSelected(answer);
      return t(answer.enabled ? "webhooks.enabled_now" : "webhooks.disabled_now", { url: answer.url });
    });

  const remove = (endpoint: Endpoint) =>
    act(async () => {
      await api(`${BASE}/endpoints/${endpoint.id}`, { method: "DELETE" });
      setConfirming(null);
      if (selected?.id === endpoint.id) setSelected(null);
      return t("webhooks.deleted", { url: endpoint.url });
    });

  return (
    <>
      <div className="title-row">
        <h1>{t("webhooks.title")}</h1>
        <button type="button" data-testid="new-webhook" onClick={() => { setCreating(true); setSecret(null); }} disabled={creating}>
          {t("webhooks.new")}
        </button>
      </div>
      <p className="muted">{t("webhooks.intro")}</p>
      {secret ? <SecretOnce shown={secret} onDone={() => setSecret(null)} /> : null}
      {creating ? (
        <EndpointForm
          onCancel={() => setCreating(false)}
          onCreated={(created) => {
            setCreating(false);
            setSecret({ url: created.url, secret: created.secret });
            reload();
          }}
        />
      ) : null}
      <ErrorAlert error={error ?? actionError} />
      <div aria-live="polite">{result ? <StatusMessage testId="action-result">{result}</StatusMessage> : null}</div>
      <Loading when={loading} />
      <table>
        <caption className="visually-hidden">{t("webhooks.title")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("webhooks.url")}</th>
            <th scope="col">{t("webhooks.events")}</th>
            <th scope="col">{t("orders.status")}</th>
            <th scope="col">{t("webhooks.last_success")}</th>
            <th scope="col">{t("dead_letters.action")}</th>
          </tr>
        </thead>
        <tbody>
          {data?.items.map((endpoint) => (
            <tr key={endpoint.id} data-testid="webhook-row" data-id={endpoint.id} data-enabled={String(endpoint.enabled)}>
              <td>
                <code>{endpoint.url}</code>
                {endpoint.description ? <span className="block muted">{endpoint.description}</span> : null}
              </td>
              <td>{endpoint.events.includes(ALL_EVENTS) ? t("webhooks.all_events") : endpoint.events.join(", ")}</td>
              <td>
                <span className={endpoint.enabled ? "badge ok" : "badge warn"}>{t(endpoint.enabled ? "webhooks.enabled" : "webhooks.disabled")}</span>
                {endpoint.disabled_reason ? <span className="block muted">{endpoint.disabled_reason}</span> : null}
                {endpoint.failing_since ? (
                  <span className="block muted">
                    {t("webhooks.failing_since")} <DateTime value={endpoint.failing_since} />
                  </span>
                ) : null}
              </td>
              <td><DateTime value={endpoint.last_success_at} /></td>
              <td>
                <div className="row-actions">
                  <button type="button" className="secondary" data-testid="show-deliveries" onClick={() => setSelected(endpoint)} aria-label={t("webhooks.deliveries_of", { url: endpoint.url })}>
                    {t("webhooks.deliveries")}
                  </button>
                  <button type="button" className="secondary" data-testid="toggle-webhook" disabled={busy} onClick={() => void toggle(endpoint)}>
                    {t(endpoint.enabled ? "webhooks.disable" : "webhooks.enable")}
                  </button>
                  {confirming === endpoint.id ? (
                    <button type="button" className="danger" data-testid="confirm-delete-webhook" disabled={busy} onClick={() => void remove(endpoint)}>
                      {t("webhooks.confirm_delete")}
                    </button>
                  ) : (
                    <button type="button" className="danger" data-testid="delete-webhook" onClick={() => setConfirming(endpoint.id)}>
                      {t("webhooks.delete")}
                    </button>
                  )}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.items.length === 0 ? <p className="muted">{t("webhooks.none")}</p> : null}
      <Pager cursors={cursors} setCursors={setCursors} next={data?.next_cursor} />
      {selected ? <DeliveryLog key={selected.id} endpoint={selected} /> : null}
    </>
  );
}

function SecretOnce({ shown, onDone }: { shown: { url: string; secret: string }; onDone: () => void }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(shown.secret);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }
  return (
    <section className="card" aria-labelledby="secret-heading" data-testid="webhook-secret-card">
      <h2 id="secret-heading">{t("webhooks.secret_title")}</h2>
      <p role="status">{t("webhooks.secret_once", { url: shown.url })}</p>
      <p>
        <code data-testid="webhook-secret">{shown.secret}</code>
      </p>
      <div className="actions">
        <button type="button" onClick={() => void copy()}>{t("webhooks.copy")}</button>
        <button type="button" className="secondary" onClick={onDone}>{t("webhooks.secret_done")}</button>
      </div>
      {copied ? <p className="muted" aria-live="polite">{t("webhooks.copied")}</p> : null}
    </section>
  );
}

function EndpointForm({ onCreated, onCancel }: { onCreated: (created: Endpoint & { secret: string }) => void; onCancel: () => void }) {
  const { t } = useTranslation();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [all, setAll] = useState(false);
  const [picked, setPicked] = useState<string[]>(["order.placed", "order.paid"]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fields = error ? describeError(error, t).fields : {};
  const eventsError = Object.entries(fields).find(([path]) => path === "events" || path.startsWith("events."))?.[1];

  async function save(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api<Endpoint & { secret: string }>(`${BASE}/endpoints`, {
        method: "POST",
        body: { url: url.trim(), events: chosenEvents(all, picked), description: description.trim() || null },
      });
      onCreated(created);
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card form-grid" onSubmit={(e) => void save(e)} noValidate aria-labelledby="new-webhook-heading">
      <h2 id="new-webhook-heading" className="full">{t("webhooks.new")}</h2>
      <ErrorAlert error={error} />
      <Field label={t("webhooks.url")} name="url" value={url} onChange={setUrl} errors={fields} required type="url" testId="webhook-url" hint={t("webhooks.url_hint")} />
      <Field label={t("webhooks.description")} name="description" value={description} onChange={setDescription} errors={fields} testId="webhook-description" />
      <fieldset className="full" aria-describedby={eventsError ? "webhook-events-error" : undefined}>
        <legend>{t("webhooks.events")}</legend>
        <Checkbox label={t("webhooks.all_events")} name="event-all" checked={all} onChange={setAll} testId="webhook-event-all" />
        {WEBHOOK_EVENTS.map((name) => (
          <Checkbox
            key={name}
            label={name}
            name={`event-${name}`}
            checked={all || picked.includes(name)}
            onChange={(on) => setPicked(on ? [...picked, name] : picked.filter((e) => e !== name))}
            testId={`webhook-event-${name}`}
          />
        ))}
        {eventsError ? (
          <small id="webhook-events-error" className="field-error">
            {eventsError}
          </small>
        ) : null}
      </fieldset>
      <div className="actions">
        <button type="submit" data-testid="save-webhook" disabled={busy}>
          {t("webhooks.save")}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          {t("webhooks.cancel")}
        </button>
      </div>
    </form>
  );
}

function DeliveryLog({ endpoint }: { endpoint: Endpoint }) {
  const { t } = useTranslation();
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const { data, error, loading, reload } = useLoad(
    (signal) => api<{ items: Delivery[]; next_cursor: string | null }>(`${BASE}/endpoints/${endpoint.id}/deliveries`, { query: { cursor, limit: 25 }, signal }),
    [endpoint.id, cursor],
  );
  const [actionError, setActionError] = useState<unknown>(null);
  const [result, setResult] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function redeliver(delivery: Delivery) {
    setBusy(true);
    setActionError(null);
    setResult(null);
    try {
      await api(`${BASE}/deliveries/${delivery.id}/redeliver`, { method: "POST", body: {} });
      setResult(t("webhooks.redelivered", { event: delivery.event_type }));
      reload();
    } catch (reason) {
      setActionError(reason);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="deliveries-heading" data-testid="delivery-log">
      <div className="title-row">
        <h2 id="deliveries-heading">{t("webhooks.deliveries_of", { url: endpoint.url })}</h2>
        <button type="button" className="secondary" data-testid="refresh-deliveries" onClick={reload}>
          {t("webhooks.refresh")}
        </button>
      </div>
      <ErrorAlert error={error ?? actionError} />
      <div aria-live="polite">{result ? <StatusMessage testId="redeliver-result">{result}</StatusMessage> : null}</div>
      <Loading when={loading} />
      <div className="scroll" tabIndex={0} role="region" aria-label={t("webhooks.deliveries_of", { url: endpoint.url })}>
        <table>
          <caption className="visually-hidden">{t("webhooks.deliveries_of", { url: endpoint.url })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("webhooks.created")}</th>
              <th scope="col">{t("webhooks.event")}</th>
              <th scope="col">{t("webhooks.order")}</th>
              <th scope="col">{t("orders.status")}</th>
              <th scope="col">{t("webhooks.attempts")}</th>
              <th scope="col">{t("webhooks.last_response")}</th>
              <th scope="col">{t("webhooks.next_attempt")}</th>
              <th scope="col">{t("dead_letters.action")}</th>
            </tr>
          </thead>
          <tbody>
            {data?.items.map((delivery) => (
              <tr key={delivery.id} data-testid="delivery-row" data-event={delivery.event_type} data-status={delivery.status}>
                <td><DateTime value={delivery.created_at} /></td>
                <td><code>{delivery.event_type}</code></td>
                <td>
                  {delivery.order_id ? `${shortId(delivery.order_id)}` : "—"}
                  {delivery.order_version !== null ? <span className="muted"> · v{delivery.order_version}</span> : null}
                </td>
                <td>
                  <span className={`badge delivery-${delivery.status}`}>{t(`webhooks.status_${delivery.status}`, { defaultValue: delivery.status })}</span>
                </td>
                <td>{delivery.attempts}</td>
                <td>
                  {delivery.last_attempt ? (
                    <>
                      <span data-testid="last-status-code">{delivery.last_attempt.status_code ?? "—"}</span>
                      {delivery.last_attempt.error ? <span className="block muted">{delivery.last_attempt.error}</span> : null}
                      {delivery.last_attempt.response_excerpt ? (
                        <details>
                          <summary>{t("audit.show")}</summary>
                          <pre>{delivery.last_attempt.response_excerpt}</pre>
                        </details>
                      ) : null}
                    </>
                  ) : (
                    "—"
                  )}
                </td>
                <td><DateTime value={delivery.next_attempt_at} /></td>
                <td>
                  <button type="button" data-testid="redeliver" disabled={busy} onClick={() => void redeliver(delivery)}>
                    {t("webhooks.redeliver")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {data && data.items.length === 0 ? <p className="muted">{t("webhooks.no_deliveries")}</p> : null}
      <Pager cursors={cursors} setCursors={setCursors} next={data?.next_cursor} />
    </section>
  );
}
