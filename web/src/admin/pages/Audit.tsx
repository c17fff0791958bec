// The audit log: filter by action and actor, page through, open an entry's before/after.
import { useEffect, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../../shared/api";
import { DateTime, ErrorAlert, Field, Loading, Pager, useDebounced, useLoad } from "../ui";

interface Entry {
  at: string;
  actor: string;
  actor_email: string | null;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
  request_id: string | null;
  event_id: string;
}

export default function Audit() {
  const { t } = useTranslation();
  const [action, setAction] = useState("");
  const [actor, setActor] = useState("");
  const typed = useDebounced(`${action}\u0000${actor}`);
  const [filters, setFilters] = useState({ action: "", actor: "" });
  useEffect(() => {
    const [a = "", b = ""] = typed.split("\u0000");
    setFilters({ action: a, actor: b });
  }, [typed]);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const { data, error, loading } = useLoad(
    (signal) =>
      api<{ items: Entry[]; next_cursor: string | null }>("/api/v1/admin/audit-log", {
        query: { action: filters.action.trim() || undefined, actor: filters.actor.trim() || undefined, cursor, limit: 25 },
        signal,
      }),
    [filters.action, filters.actor, cursor],
  );

  function submit(event: FormEvent) {
    event.preventDefault();
    setCursors([]);
    setFilters({ action, actor });
  }

  return (
    <>
      <h1>{t("audit.title")}</h1>
      <form className="filters" role="search" onSubmit={submit}>
        <Field label={t("audit.action")} name="action" value={action} testId="audit-action-filter" hint={t("audit.action_hint")} onChange={(v) => { setAction(v); setCursors([]); }} />
        <Field label={t("audit.actor")} name="actor" value={actor} testId="audit-actor-filter" hint={t("audit.actor_hint")} onChange={(v) => { setActor(v); setCursors([]); }} />
        <button type="submit">{t("apply")}</button>
      </form>
      <ErrorAlert error={error} />
      <Loading when={loading} />
      <table>
        <caption className="visually-hidden">{t("audit.title")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("audit.at")}</th>
            <th scope="col">{t("audit.actor")}</th>
            <th scope="col">{t("audit.action")}</th>
            <th scope="col">{t("audit.target")}</th>
            <th scope="col">{t("audit.details")}</th>
          </tr>
        </thead>
        <tbody>
          {data?.items.map((entry) => <AuditRow key={entry.event_id} entry={entry} />)}
        </tbody>
      </table>
      {data && data.items.length === 0 ? <p className="muted">{t("empty")}</p> : null}
      <Pager cursors={cursors} setCursors={setCursors} next={data?.next_cursor} />
    </>
  );
}

function AuditRow({ entry }: { entry: Entry }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const detailsId = `audit-${entry.event_id}`;
  return (
    <tr data-testid="audit-row" data-action={entry.action} data-target={entry.target}>
      <td>
        <DateTime value={entry.at} />
      </td>
      <td>
        {entry.actor_email ?? entry.actor}
        {entry.actor_email ? <small className="muted block">{entry.actor}</small> : null}
      </td>
      <td>
        <code>{entry.action}</code>
      </td>
      <td>
        <code>{entry.target}</code>
      </td>
      <td>
        <button type="button" aria-expanded={open} aria-controls={detailsId} onClick={() => setOpen(!open)}>
          {t(open ? "audit.hide" : "audit.show")}
        </button>
        <div id={detailsId} hidden={!open} className="json-pair">
          {open ? (
            <>
              <div>
                <p className="label">{t("audit.before")}</p>
                <pre>{JSON.stringify(entry.before, null, 2)}</pre>
              </div>
              <div>
                <p className="label">{t("audit.after")}</p>
                <pre>{JSON.stringify(entry.after, null, 2)}</pre>
              </div>
              {entry.request_id ? <p className="muted">{t("audit.request_id", { id: entry.request_id })}</p> : null}
            </>
          ) : null}
        </div>
      </td>
    </tr>
  );
}
