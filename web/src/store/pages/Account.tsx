import { useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { Navigate, useSearchParams } from "react-router";
import { useTranslation } from "react-i18next";
import { api, ApiError } from "../../shared/api";
import type { DescribedError } from "../../shared/i18n";
import type { Address } from "../cart";
import { KeepLink, useGo, useKeep, useStore, type Profile } from "../context";
import { orderPath, type Order } from "../orders";
import { Field, FormError, Loading, Price, SelectField, When, useDescribe } from "../ui";
import { AddressFields, toBody, toForm, type AddressForm } from "./Checkout";

/** A form's submit: busy while it runs, the error described (headline + fields). */
function useSubmit() {
  const describe = useDescribe();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<DescribedError | null>(null);
  async function submit(task: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await task();
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, setError, submit };
}

function RequireUser({ children }: { children: ReactNode }) {
  const { user } = useStore();
  const keep = useKeep();
  if (!user) return <Navigate to={keep("/account/login")} replace />;
  return <>{children}</>;
}

function AccountNav() {
  const { t } = useTranslation();
  return (
    <nav aria-label={t("account.nav")} className="subnav">
      <ul>
        <li>
          <KeepLink to="/account">{t("account.profile")}</KeepLink>
        </li>
        <li>
          <KeepLink to="/account/addresses">{t("account.addresses")}</KeepLink>
        </li>
        <li>
          <KeepLink to="/account/orders">{t("account.orders")}</KeepLink>
        </li>
      </ul>
    </nav>
  );
}

export function Login() {
  const { t } = useTranslation();
  const { login } = useStore();
  const go = useGo();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, setError, submit } = useSubmit();
  return (
    <>
      <h1 tabIndex={-1}>{t("account.login")}</h1>
      <form noValidate
        className="stack narrow"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          void submit(async () => {
            try {
              await login(email.trim(), password);
            } catch (e) {
              // a wrong e-mail or password is a 401 here, not "sign in again"
              if (e instanceof ApiError && e.status === 401) {
                setError({ message: t("account.badCredentials"), fields: {} });
                return;
              }
              throw e;
            }
            go("/account");
          });
        }}
      >
        <Field label={t("fields.email")} name="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} error={error?.fields.email} />
        <Field label={t("fields.password")} name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} error={error?.fields.password} />
        <button type="submit" data-testid="submit" disabled={busy}>
          {t("account.login")}
        </button>
        <FormError error={error} />
      </form>
      <p>
        <KeepLink to="/account/register">{t("account.register")}</KeepLink> · <KeepLink to="/account/forgot-password">{t("account.forgot")}</KeepLink>
      </p>
    </>
  );
}

export function Register() {
  const { t } = useTranslation();
  const { login, locale, currency } = useStore();
  const go = useGo();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, submit } = useSubmit();
  return (
    <>
      <h1 tabIndex={-1}>{t("account.register")}</h1>
      <form noValidate
        className="stack narrow"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          void submit(async () => {
            const body: Record<string, string> = { email: email.trim(), password, locale, currency };
            if (name.trim()) body.name = name.trim();
            await api("/api/v1/auth/register", { method: "POST", body });
            await login(email.trim(), password);
            go("/account");
          });
        }}
      >
        <Field label={t("fields.name")} name="name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} error={error?.fields.name} />
        <Field label={t("fields.email")} name="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={error?.fields.email} />
        <Field
          label={t("fields.password")}
          name="password"
          type="password"
          autoComplete="new-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={error?.fields.password}
          hint={<span className="muted small">{t("account.passwordHint")}</span>}
        />
        <button type="submit" data-testid="submit" disabled={busy}>
          {t("account.createAccount")}
        </button>
        <FormError error={error} />
      </form>
      <p>
        <KeepLink to="/account/login">{t("account.haveAccount")}</KeepLink>
      </p>
    </>
  );
}

export function VerifyEmail() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const describe = useDescribe();
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);
  const sent = useRef(false);
  useEffect(() => {
    if (sent.current) return;
    sent.current = true;
    api("/api/v1/auth/verify-email", { method: "POST", body: { token } })
      .then(() => setResult({ ok: true, message: t("account.verified") }))
      .catch((e) => {
        const described = describe(e);
        // a bad or expired token is the token field's error: say that, not "check the highlighted fields"
        const detail = described.fields.token ? "" : described.message;
        setResult({ ok: false, message: [t("account.verifyFailed"), detail].filter(Boolean).join(" ") });
      });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [token]);
  return (
    <>
      <h1 tabIndex={-1}>{t("account.verifyTitle")}</h1>
      {!result ? (
        <Loading />
      ) : (
        <p data-testid="verify-result" data-status={result.ok ? "ok" : "error"} role={result.ok ? "status" : "alert"} className={result.ok ? "ok" : "error"}>
          {result.message}
        </p>
      )}
    </>
  );
}

export function ForgotPassword() {
  const { t } = useTranslation();
  const { locale } = useStore();
  const [email, setEmail] = useState("");
  const [done, setDone] = useState(false);
  const { busy, error, submit } = useSubmit();
  return (
    <>
      <h1 tabIndex={-1}>{t("account.forgot")}</h1>
      {done ? (
        <p role="status" data-testid="forgot-result">
          {t("account.forgotSent")}
        </p>
      ) : (
        <form noValidate
          className="stack narrow"
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            void submit(async () => {
              await api("/api/v1/auth/password/forgot", { method: "POST", body: { email: email.trim(), locale } }); // the e-mail in the page's language
              setDone(true);
            });
          }}
        >
          <Field label={t("fields.email")} name="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={error?.fields.email} />
          <button type="submit" data-testid="submit" disabled={busy}>
            {t("account.sendLink")}
          </button>
          <FormError error={error} />
        </form>
      )}
    </>
  );
}

export function ResetPassword() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const { busy, error, submit } = useSubmit();
  return (
    <>
      <h1 tabIndex={-1}>{t("account.resetTitle")}</h1>
      {done ? (
        <p role="status" data-testid="reset-result">
          {t("account.resetDone")} <KeepLink to="/account/login">{t("account.login")}</KeepLink>
        </p>
      ) : (
        <form noValidate
          className="stack narrow"
          onSubmit={(e: FormEvent) => {
            e.preventDefault();
            void submit(async () => {
              await api("/api/v1/auth/password/reset", { method: "POST", body: { token: params.get("token") ?? "", password } });
              setDone(true);
            });
          }}
        >
          <Field
            label={t("account.newPassword")}
            name="password"
            type="password"
            autoComplete="new-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={error?.fields.password}
            hint={<span className="muted small">{t("account.passwordHint")}</span>}
          />
          {error?.fields.token && <p className="field-error">{t("account.badLink")}</p>}
          <button type="submit" data-testid="submit" disabled={busy}>
            {t("account.resetSubmit")}
          </button>
          <FormError error={error} />
        </form>
      )}
    </>
  );
}

function ProfileForm() {
  const { t } = useTranslation();
  const { locales, currencies, changeLocale, changeCurrency, locale: uiLocale, currency: uiCurrency } = useStore();
  const [profile, setProfile] = useState<Profile | null>(null);
  const [name, setName] = useState("");
  const [locale, setLocale] = useState("");
  const [currency, setCurrency] = useState("");
  const [saved, setSaved] = useState(false);
  const { busy, error, setError, submit } = useSubmit();
  const describe = useDescribe();
  useEffect(() => {
    api<Profile>("/api/v1/users/me")
      .then((me) => {
        setProfile(me);
        setName(me.name ?? "");
        setLocale(me.locale ?? uiLocale);
        setCurrency(me.currency ?? uiCurrency);
      })
      .catch((e) => setError(describe(e)));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  if (!profile) return error ? <FormError error={error} /> : <Loading />;
  return (
    <form noValidate
      className="stack narrow"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        setSaved(false);
        void submit(async () => {
          const me = await api<Profile>("/api/v1/users/me", { method: "PATCH", body: { name: name.trim(), locale, currency } });
          setProfile(me);
          setSaved(true);
          if (locale !== uiLocale) await changeLocale(locale);
          if (currency !== uiCurrency) await changeCurrency(currency);
        });
      }}
    >
      <p>
        {t("fields.email")}: <strong>{profile.email}</strong>
      </p>
      <Field label={t("fields.name")} name="name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} error={error?.fields.name} />
      <SelectField label={t("header.language")} name="locale" value={locale} onChange={(e) => setLocale(e.target.value)} error={error?.fields.locale}>
        {locales.map((l) => (
          <option key={l.code} value={l.code}>
            {l.native_name || l.name}
          </option>
        ))}
      </SelectField>
      <SelectField label={t("header.currency")} name="currency" value={currency} onChange={(e) => setCurrency(e.target.value)} error={error?.fields.currency}>
        {currencies.map((c) => (
          <option key={c.code} value={c.code}>
            {c.code} — {c.name}
          </option>
        ))}
      </SelectField>
      <button type="submit" data-testid="submit" disabled={busy}>
        {t("account.save")}
      </button>
      {saved && <p role="status" className="ok">{t("account.saved")}</p>}
      <FormError error={error} />
    </form>
  );
}

export function ProfilePage() {
  const { t } = useTranslation();
  return (
    <RequireUser>
      <h1 tabIndex={-1}>{t("account.title")}</h1>
      <AccountNav />
      <ProfileForm />
    </RequireUser>
  );
}

function AddressEditor({ address, onDone, onCancel }: { address: Address | null; onDone(): void; onCancel(): void }) {
  const { t } = useTranslation();
  const [form, setForm] = useState<AddressForm>(toForm(address));
  const { busy, error, submit } = useSubmit();
  return (
    <form noValidate
      className="stack narrow"
      aria-label={address ? t("account.editAddress") : t("account.addAddress")}
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        void submit(async () => {
          if (address?.id) await api(`/api/v1/users/me/addresses/${address.id}`, { method: "PATCH", body: toBody(form) });
          else await api("/api/v1/users/me/addresses", { method: "POST", body: toBody(form) });
          onDone();
        });
      }}
    >
      <AddressFields form={form} onChange={setForm} errors={error?.fields ?? {}} />
      <div className="inline">
        <button type="submit" data-testid="submit" disabled={busy}>
          {t("account.save")}
        </button>
        <button type="button" onClick={onCancel}>
          {t("account.cancel")}
        </button>
      </div>
      <FormError error={error} />
    </form>
  );
}

export function Addresses() {
  const { t } = useTranslation();
  const [items, setItems] = useState<Address[] | null>(null);
  const [editing, setEditing] = useState<Address | "new" | null>(null);
  const { error, submit } = useSubmit();
  const { user } = useStore();
  const load = () => submit(async () => setItems((await api<{ items: Address[] }>("/api/v1/users/me/addresses")).items));
  useEffect(() => {
    if (user) void load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [user]);
  return (
    <RequireUser>
      <h1 tabIndex={-1}>{t("account.addresses")}</h1>
      <AccountNav />
      <FormError error={error} />
      {!items ? (
        <Loading />
      ) : (
        <>
          {items.length === 0 && <p>{t("account.noAddresses")}</p>}
          <ul className="plain rows">
            {items.map((a) => (
              <li key={a.id} data-testid="address-row" data-id={a.id}>
                <address>{[a.name, a.line1, a.line2, `${a.postal_code} ${a.city}`, a.region, a.country].filter(Boolean).join(", ")}</address>
                <button type="button" onClick={() => setEditing(a)}>
                  {t("account.edit")}
                  <span className="visually-hidden"> {a.line1}</span>
                </button>{" "}
                <button
                  type="button"
                  data-testid="delete-address"
                  onClick={() => void submit(async () => {
                    await api(`/api/v1/users/me/addresses/${a.id}`, { method: "DELETE" });
                    setItems((await api<{ items: Address[] }>("/api/v1/users/me/addresses")).items);
                  })}
                >
                  {t("account.delete")}
                  <span className="visually-hidden"> {a.line1}</span>
                </button>
              </li>
            ))}
          </ul>
          {editing ? (
            <section aria-labelledby="editor-heading">
              <h2 id="editor-heading">{editing === "new" ? t("account.addAddress") : t("account.editAddress")}</h2>
              <AddressEditor
                key={editing === "new" ? "new" : editing.id}
                address={editing === "new" ? null : editing}
                onCancel={() => setEditing(null)}
                onDone={() => {
                  setEditing(null);
                  void load();
                }}
              />
            </section>
          ) : (
            <button type="button" data-testid="add-address" onClick={() => setEditing("new")}>
              {t("account.addAddress")}
            </button>
          )}
        </>
      )}
    </RequireUser>
  );
}

export function Orders() {
  const { t } = useTranslation();
  const { user } = useStore();
  const [items, setItems] = useState<Order[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const { error, submit } = useSubmit();
  const more = (after: string | null) =>
    submit(async () => {
      const page = await api<{ items: Order[]; next_cursor: string | null }>("/api/v1/orders", { query: { limit: 20, cursor: after } });
      setItems((before) => [...(after ? (before ?? []) : []), ...page.items]);
      setCursor(page.next_cursor);
    });
  useEffect(() => {
    if (user) void more(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [user]);
  return (
    <RequireUser>
      <h1 tabIndex={-1}>{t("account.orders")}</h1>
      <AccountNav />
      <FormError error={error} />
      {!items ? (
        <Loading />
      ) : items.length === 0 ? (
        <p>{t("account.noOrders")}</p>
      ) : (
        <ul className="plain rows">
          {items.map((o) => (
            <li key={o.id} data-testid="order-row" data-id={o.id} data-status={o.status}>
              <KeepLink to={orderPath(o.id, null)}>{t("order.titleWithId", { id: o.id.slice(0, 8) })}</KeepLink> —{" "}
              {o.created_at && <When at={o.created_at} />} — {t(`status.${o.status}`, { defaultValue: o.status })} — <Price money={o.total} />
            </li>
          ))}
        </ul>
      )}
      {cursor && (
        <button type="button" onClick={() => void more(cursor)}>
          {t("catalog.next")}
        </button>
      )}
    </RequireUser>
  );
}
