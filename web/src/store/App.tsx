import { lazy, Suspense, useEffect, useState, type ComponentType } from "react";
import { Route, Routes, useLocation } from "react-router";
import { useTranslation } from "react-i18next";
import { KeepLink, useGo, useStore } from "./context";
import { itemCount } from "./cart";
import { Catalog } from "./pages/Catalog";
import { Loading } from "./ui";

function page<M>(load: () => Promise<M>, pick: (module: M) => ComponentType) {
  return lazy(() => load().then((module) => ({ default: pick(module) })));
}

const account = () => import("./pages/Account");
const Product = page(() => import("./pages/Product"), (m) => m.ProductPage);
const CartPage = page(() => import("./pages/CartPage"), (m) => m.CartPage);
const Checkout = page(() => import("./pages/Checkout"), (m) => m.Checkout);
const Pay = page(() => import("./pages/Checkout"), (m) => m.PayPage);
const Order = page(() => import("./pages/Order"), (m) => m.OrderPage);
const Login = page(account, (m) => m.Login);
const Register = page(account, (m) => m.Register);
const VerifyEmail = page(account, (m) => m.VerifyEmail);
const Forgot = page(account, (m) => m.ForgotPassword);
const Reset = page(account, (m) => m.ResetPassword);
const Profile = page(account, (m) => m.ProfilePage);
const Addresses = page(account, (m) => m.Addresses);
const Orders = page(account, (m) => m.Orders);

function Pickers() {
  const { t } = useTranslation();
  const { locale, currency, locales, currencies, changeLocale, changeCurrency } = useStore();
  return (
    <div className="pickers">
      <label>
        {t("header.language")}{" "}
        <select data-testid="locale-picker" value={locale} onChange={(e) => void changeLocale(e.target.value)}>
          {locales.map((l) => (
            <option key={l.code} value={l.code} lang={l.code}>
              {l.native_name || l.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t("header.currency")}{" "}
        <select data-testid="currency-picker" value={currency} onChange={(e) => void changeCurrency(e.target.value)}>
          {currencies.map((c) => (
            <option key={c.code} value={c.code}>
              {c.code}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

function Header() {
  const { t } = useTranslation();
  const { user, cart, logout } = useStore();
  const go = useGo();
  const count = itemCount(cart);
  return (
    <header className="site-header">
      <KeepLink to="/" className="brand">
        {t("brand")}
      </KeepLink>
      <nav aria-label={t("header.nav")}>
        <ul>
          <li>
            <KeepLink to="/">{t("header.catalog")}</KeepLink>
          </li>
          <li>
            <KeepLink to="/cart" data-testid="cart-link" data-count={count}>
              {t("header.cart", { count })}
            </KeepLink>
          </li>
          {user ? (
            <>
              <li>
                <KeepLink to="/account" data-testid="account-link">
                  {t("header.account")}
                </KeepLink>
              </li>
              <li>
                <button type="button" data-testid="logout" onClick={() => void logout().then(() => go("/"))}>
                  {t("header.logout")}
                </button>
              </li>
            </>
          ) : (
            <li>
              <KeepLink to="/account/login" data-testid="login-link">
                {t("header.login")}
              </KeepLink>
            </li>
          )}
        </ul>
      </nav>
      <Pickers />
    </header>
  );
}

/** Move focus to the new page's heading after navigation (screen readers hear where they are). */
function useFocusOnNavigate() {
  const { pathname } = useLocation();
  const [first, setFirst] = useState(true);
  useEffect(() => {
    if (first) {
      setFirst(false);
      return;
    }
    const timer = setTimeout(() => document.querySelector<HTMLElement>("main h1")?.focus({ preventScroll: false }), 50);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pathname]);
}

export function App() {
  const { t } = useTranslation();
  useFocusOnNavigate();
  return (
    <>
      <a href="#main" className="skip">
        {t("skip")}
      </a>
      <Header />
      <main id="main">
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route path="/" element={<Catalog />} />
            <Route path="/products/:id" element={<Product />} />
            <Route path="/cart" element={<CartPage />} />
            <Route path="/checkout" element={<Checkout />} />
            <Route path="/checkout/pay/:orderId" element={<Pay />} />
            <Route path="/orders/:id" element={<Order />} />
            <Route path="/account" element={<Profile />} />
            <Route path="/account/login" element={<Login />} />
            <Route path="/account/register" element={<Register />} />
            <Route path="/account/forgot-password" element={<Forgot />} />
            <Route path="/account/addresses" element={<Addresses />} />
            <Route path="/account/orders" element={<Orders />} />
            <Route path="/verify-email" element={<VerifyEmail />} />
            <Route path="/reset-password" element={<Reset />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      </main>
      <footer className="site-footer">
        <p>{t("footer")}</p>
      </footer>
    </>
  );
}

function NotFound() {
  const { t } = useTranslation();
  return (
    <>
      <h1 tabIndex={-1}>{t("notFound.title")}</h1>
      <p>
        <KeepLink to="/">{t("notFound.back")}</KeepLink>
      </p>
    </>
  );
}
