// The console's shell: who is signed in decides between the login form, a refusal (customers) and
// the console itself (admin, super_admin) with its navigation and lazily loaded pages.
import { lazy, Suspense, useEffect, useState, type FormEvent, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { BrowserRouter, NavLink, Route, Routes } from "react-router";
import { switchLocale, UI_LOCALES, describeError } from "../shared/i18n";
import { hasRole, session, type Claims } from "../shared/session";
import { i18nSetup, rememberLocale } from "./setup";
import { ErrorAlert, Field, useLocale } from "./ui";

const Dashboard = lazy(() => import("./pages/Dashboard"));
const Products = lazy(() => import("./pages/Products"));
const ProductEdit = lazy(() => import("./pages/ProductEdit"));
const Orders = lazy(() => import("./pages/Orders"));
const OrderDetail = lazy(() => import("./pages/OrderDetail"));
const Users = lazy(() => import("./pages/Users"));
const Audit = lazy(() => import("./pages/Audit"));
const DeadLetters = lazy(() => import("./pages/DeadLetters"));
const Rates = lazy(() => import("./pages/Rates"));
const Shipping = lazy(() => import("./pages/Shipping"));
const Taxes = lazy(() => import("./pages/Taxes"));
const Promotions = lazy(() => import("./pages/Promotions"));
const Webhooks = lazy(() => import("./pages/Webhooks"));

function useUser(): Claims | null {
  const [user, setUser] = useState<Claims | null>(session.user);
  useEffect(() => session.subscribe(setUser), []);
  return user;
}

export function App() {
  const user = useUser();
  if (!user) return <Shell user={null}><Login /></Shell>;
  if (!hasRole(user, "admin")) return <Shell user={user}><Forbidden /></Shell>;
  return (
    <BrowserRouter basename="/admin">
      <Shell user={user} nav={<Nav />}>
        <Suspense fallback={<Pending />}>
          <Routes>
            <Route index element={<Dashboard />} />
            <Route path="products" element={<Products />} />
            <Route path="products/new" element={<ProductEdit />} />
            <Route path="products/:id" element={<ProductEdit />} />
            <Route path="orders" element={<Orders />} />
            <Route path="orders/:id" element={<OrderDetail />} />
            <Route path="users" element={<Users user={user} />} />
            <Route path="audit" element={<Audit />} />
            <Route path="dead-letters" element={<DeadLetters />} />
            <Route path="rates" element={<Rates />} />
            <Route path="shipping" element={<Shipping />} />
            <Route path="taxes" element={<Taxes />} />
            <Route path="promotions" element={<Promotions />} />
            <Route path="webhooks" element={<Webhooks />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      </Shell>
    </BrowserRouter>
  );
}

function Pending() {
  const { t } = useTranslation();
  return <p className="muted">{t("loading")}</p>;
}

function NotFound() {
  const { t } = useTranslation();
  return <h1>{t("not_found")}</h1>;
}

function Shell({ user, nav, children }: { user: Claims | null; nav?: ReactNode; children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <div className={nav ? "shell" : "shell no-nav"}>
      <a className="skip" href="#main">
        {t("skip_to_content")}
      </a>
      <header className="top">
        <p className="brand">{t("brand")}</p>
        <div className="top-actions">
          <LocalePicker />
          {user ? (
            <>
              <span className="muted">{t("signed_in_as", { email: user.email ?? user.sub, role: t(`roles.${user.role}`) })}</span>
              {nav ? <LogoutButton /> : null}
            </>
          ) : null}
        </div>
      </header>
      {nav}
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

function LocalePicker() {
  const { t, i18n } = useTranslation();
  const locale = useLocale();
  return (
    <label className="inline">
      {t("language")}{" "}
      <select
        name="locale"
        value={locale}
        onChange={(e) => {
          rememberLocale(e.target.value);
          void switchLocale(i18n, i18nSetup, e.target.value);
        }}
      >
        {UI_LOCALES.map((code) => (
          <option key={code} value={code} lang={code}>
            {t(`locales.${code}`, { defaultValue: code })}
          </option>
        ))}
      </select>
    </label>
  );
}

function LogoutButton() {
  const { t } = useTranslation();
  return (
    <button type="button" data-testid="logout" onClick={() => void session.logout().catch(() => undefined)}>
      {t("logout")}
    </button>
  );
}

function Nav() {
  const { t } = useTranslation();
  const links: [string, string][] = [
    ["/", "nav.dashboard"],
    ["/products", "nav.products"],
    ["/orders", "nav.orders"],
    ["/users", "nav.users"],
    ["/audit", "nav.audit"],
    ["/dead-letters", "nav.dead_letters"],
    ["/rates", "nav.rates"],
    ["/shipping", "nav.shipping"],
    ["/taxes", "nav.taxes"],
    ["/promotions", "nav.promotions"],
    ["/webhooks", "nav.webhooks"],
  ];
  return (
    <nav aria-label={t("nav.label")} className="side">
      <ul>
        {links.map(([to, key]) => (
          <li key={to}>
            <NavLink to={to} end={to === "/"}>
              {t(key)}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Login() {
  const { t } = useTranslation();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fields = error ? describeError(error, t).fields : {};

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await session.login(email, password);
    } catch (reason) {
      setError(reason);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="narrow" aria-labelledby="login-title">
      <h1 id="login-title">{t("login.title")}</h1>
      <form onSubmit={submit} noValidate>
        <ErrorAlert error={error} />
        <Field label={t("login.email")} name="email" type="email" autoComplete="username" value={email} onChange={setEmail} errors={fields} required />
        <Field label={t("login.password")} name="password" type="password" autoComplete="current-password" value={password} onChange={setPassword} errors={fields} required />
        <button type="submit" data-testid="submit" disabled={busy}>
          {t("login.submit")}
        </button>
      </form>
    </section>
  );
}

function Forbidden() {
  const { t } = useTranslation();
  return (
    <section data-testid="forbidden" className="narrow" aria-labelledby="forbidden-title">
      <h1 id="forbidden-title">{t("forbidden.title")}</h1>
      <p>{t("forbidden.text")}</p>
      <LogoutButton />
    </section>
  );
}
