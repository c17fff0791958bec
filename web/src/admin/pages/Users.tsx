// Users: search by e-mail; a super_admin changes roles, an admin sees them read-only.
import { useEffect, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../../shared/api";
import { describeError } from "../../shared/i18n";
import { hasRole, type Claims } from "../../shared/session";
import { DateTime, ErrorAlert, Field, Loading, Pager, StatusMessage, useDebounced, useLoad } from "../ui";

interface Account {
  id: string;
  email: string;
  name: string | null;
  role: "customer" | "admin" | "super_admin";
  email_verified: boolean;
  created_at: string;
}
const ROLES = ["customer", "admin", "super_admin"] as const;

export default function Users({ user }: { user: Claims }) {
  const { t } = useTranslation();
  const [email, setEmail] = useState("");
  const typed = useDebounced(email);
  const [query, setQuery] = useState("");
  useEffect(() => setQuery(typed), [typed]);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const { data, error, loading } = useLoad(
    (signal) => api<{ items: Account[]; next_cursor: string | null }>("/api/v1/admin/users", { query: { email: query.trim() || undefined, cursor, limit: 25 }, signal }),
    [query, cursor],
  );
  const canChange = hasRole(user, "super_admin");

  function submit(event: FormEvent) {
    event.preventDefault();
    setCursors([]);
    setQuery(email);
  }

  return (
    <>
      <h1>{t("users.title")}</h1>
      {!canChange ? <p className="muted">{t("users.read_only")}</p> : null}
      <form className="filters" role="search" onSubmit={submit}>
        <Field label={t("users.search")} name="email" type="search" value={email} onChange={(v) => { setEmail(v); setCursors([]); }} />
        <button type="submit">{t("search")}</button>
      </form>
      <ErrorAlert error={error} />
      <Loading when={loading} />
      <table>
        <caption className="visually-hidden">{t("users.title")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("users.email")}</th>
            <th scope="col">{t("users.name")}</th>
            <th scope="col">{t("users.created")}</th>
            <th scope="col">{t("users.role")}</th>
          </tr>
        </thead>
        <tbody>
          {data?.items.map((account) => (
            <tr key={account.id} data-testid="user-row" data-id={account.id} data-role={account.role}>
              <td>{account.email}</td>
              <td>{account.name ?? "—"}</td>
              <td>
                <DateTime value={account.created_at} />
              </td>
              <td>{canChange ? <RoleEditor account={account} self={account.id === user.sub} /> : t(`roles.${account.role}`)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.items.length === 0 ? <p className="muted">{t("empty")}</p> : null}
      <Pager cursors={cursors} setCursors={setCursors} next={data?.next_cursor} />
    </>
  );
}

function RoleEditor({ account, self }: { account: Account; self: boolean }) {
  const { t } = useTranslation();
  const [role, setRole] = useState<string>(account.role);
  const [current, setCurrent] = useState<string>(account.role);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const fields = error ? describeError(error, t).fields : {};

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setSaved(null);
    try {
      const answer = await api<Account>(`/api/v1/admin/users/${account.id}/role`, { method: "PUT", body: { role } });
      setCurrent(answer.role);
      setRole(answer.role);
      setSaved(t("users.saved", { email: account.email, role: t(`roles.${answer.role}`) }));
    } catch (reason) {
      setError(reason);
    }
  }

  return (
    <form onSubmit={submit} className="inline-form compact" noValidate>
      <ErrorAlert error={error} />
      <Field
        label={t("users.role_for", { email: account.email })}
        name="role"
        value={role}
        onChange={setRole}
        errors={fields}
        testId="role-select"
        options={ROLES.map((r) => ({ value: r, label: t(`roles.${r}`) }))}
      />
      <button type="submit" data-testid="save-role" disabled={role === current || self}>
        {t("users.save_role")}
      </button>
      {saved ? <StatusMessage>{saved}</StatusMessage> : null}
    </form>
  );
}
