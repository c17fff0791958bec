// The storefront's shared state: locale and currency (URL first), the signed-in shopper, the cart.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { Link, useLocation, useNavigate, useSearchParams, type LinkProps } from "react-router";
import type { i18n as I18n } from "i18next";
import { api } from "../shared/api";
import { session, type Claims } from "../shared/session";
import { switchLocale, type I18nSetup } from "../shared/i18n";
import { cartCall, isNotFound, storeGuestCart, storedGuestCart, tokenHeaders, type Cart, type CartRef } from "./cart";

export interface LocaleInfo {
  code: string;
  name: string;
  native_name?: string;
  direction?: "ltr" | "rtl";
  fallback?: string[];
}

export interface CurrencyInfo {
  code: string;
  name: string;
  minor_units?: number;
}

export interface Profile {
  id: string;
  email: string;
  name?: string | null;
  role: string;
  locale?: string | null;
  currency?: string | null;
}

export interface Boot {
  i18n: I18n;
  setup: I18nSetup;
  locale: string;
  currency: string;
  locales: LocaleInfo[];
  currencies: CurrencyInfo[];
  user: Claims | null;
}

interface Store {
  locale: string;
  currency: string;
  locales: LocaleInfo[];
  currencies: CurrencyInfo[];
  user: Claims | null;
  cart: Cart | null;
  setCart(cart: Cart | null): void;
  /** The cart to change, made on first use. */
  ensureCart(): Promise<CartRef>;
  cartRef(): CartRef | null;
  reloadCart(): Promise<Cart | null>;
  changeLocale(locale: string): Promise<void>;
  changeCurrency(currency: string): Promise<void>;
  login(email: string, password: string): Promise<void>;
  logout(): Promise<void>;
}

const StoreContext = createContext<Store | null>(null);

export function useStore(): Store {
  const store = useContext(StoreContext);
  if (!store) throw new Error("StoreProvider missing");
  return store;
}

const KEPT = ["locale", "currency"];

/** `to` with the current URL's locale/currency kept (shared links say the same). */
export function useKeep(): (to: string) => string {
  const [params] = useSearchParams();
  return useCallback(
    (to: string) => {
      const [path, query = ""] = to.split("?");
      const next = new URLSearchParams(query);
      for (const key of KEPT) {
        const value = params.get(key);
        if (value && !next.has(key)) next.set(key, value);
      }
      const text = next.toString();
      return text ? `${path}?${text}` : path;
    },
    [params],
  );
}

export function KeepLink({ to, ...props }: Omit<LinkProps, "to"> & { to: string }) {
  const keep = useKeep();
  return <Link to={keep(to)} {...props} />;
}

export function useGo(): (to: string, options?: { replace?: boolean; state?: unknown }) => void {
  const keep = useKeep();
  const navigate = useNavigate();
  return useCallback((to, options) => navigate(keep(to), options), [keep, navigate]);
}

export function StoreProvider({ boot, children }: { boot: Boot; children: ReactNode }) {
  const [locale, setLocale] = useState(boot.locale);
  const [currency, setCurrency] = useState(boot.currency);
  const [user, setUser] = useState<Claims | null>(boot.user);
  const [cart, setCartState] = useState<Cart | null>(null);
  const ref = useRef<CartRef | null>(null);
  const prefs = useRef({ locale: boot.locale, currency: boot.currency });
  const [params, setParams] = useSearchParams();
  const location = useLocation();

  const setCart = useCallback((next: Cart | null) => {
    setCartState(next);
    if (next === null) ref.current = null;
  }, []);

  const cartRef = useCallback(() => ref.current, []);

  const ensureCart = useCallback(async (): Promise<CartRef> => {
    if (ref.current) return ref.current;
    const made = await api<Cart>("/api/v1/carts", { method: "POST", body: { ...prefs.current } });
    const token = session.user ? null : (made.cart_token ?? null);
    ref.current = { id: made.id, token };
    if (token) storeGuestCart(ref.current);
    setCartState(made);
    return ref.current;
  }, []);

  /** Find the cart again: a customer's (merging a guest cart left in this browser), or the stored guest's. */
  const loadCart = useCallback(async (): Promise<Cart | null> => {
    const guest = storedGuestCart();
    if (session.user) {
      const body: Record<string, unknown> = { ...prefs.current };
      if (guest) body.guest_cart_id = guest.id;
      let mine: Cart;
      try {
        mine = await api<Cart>("/api/v1/carts", { method: "POST", body, headers: tokenHeaders(guest) });
      } catch (error) {
        if (!guest || !isNotFound(error)) throw error;
        mine = await api<Cart>("/api/v1/carts", { method: "POST", body: { ...prefs.current } }); // the guest cart is gone
      }
      storeGuestCart(null);
      ref.current = { id: mine.id, token: null };
      setCartState(mine);
      return mine;
    }
    if (!guest) {
      ref.current = null;
      setCartState(null);
      return null;
    }
    try {
      const found = await cartCall(guest, "");
      if (found.status !== "open" && found.status !== "ordered") throw Object.assign(new Error("closed"), { closed: true });
      ref.current = guest;
      setCartState(found);
      return found;
    } catch (error) {
      if (isNotFound(error) || (error as { closed?: boolean }).closed) {
        storeGuestCart(null);
        ref.current = null;
        setCartState(null);
        return null;
      }
      throw error;
    }
  }, []);

  const reloadCart = useCallback(async () => {
    if (!ref.current) return loadCart();
    try {
      const found = await cartCall(ref.current, "");
      setCartState(found);
      return found;
    } catch (error) {
      if (!isNotFound(error)) throw error;
      if (ref.current.token) storeGuestCart(null);
      ref.current = null;
      return loadCart();
    }
  }, [loadCart]);

  // first load: the cart, in the shopper's currency and language
  useEffect(() => {
    void loadCart()
      .then(async (found) => {
        if (found && ref.current && (found.currency !== prefs.current.currency || found.locale !== prefs.current.locale))
          setCartState(await cartCall(ref.current, "", { method: "PATCH", body: { ...prefs.current } }));
      })
      .catch(() => undefined);
    return session.subscribe((claims) => setUser(claims));
  }, [loadCart]);

  const applyPrefs = useCallback(
    async (next: { locale: string; currency: string }, fromUrl: boolean) => {
      const before = prefs.current;
      if (before.locale === next.locale && before.currency === next.currency) return;
      prefs.current = next;
      if (next.locale !== before.locale) {
        await switchLocale(boot.i18n, boot.setup, next.locale);
        setLocale(next.locale);
      }
      if (next.currency !== before.currency) setCurrency(next.currency);
      if (!fromUrl) {
        const query = new URLSearchParams(params);
        query.set("locale", next.locale);
        query.set("currency", next.currency);
        setParams(query, { replace: false, state: location.state });
      }
      const changes: Record<string, string> = {};
      if (next.locale !== before.locale) changes.locale = next.locale;
      if (next.currency !== before.currency) changes.currency = next.currency;
      const tasks: Promise<unknown>[] = [];
      if (ref.current) tasks.push(cartCall(ref.current, "", { method: "PATCH", body: changes }).then(setCartState));
      if (session.user && !fromUrl) tasks.push(api("/api/v1/users/me", { method: "PATCH", body: changes }));
      await Promise.allSettled(tasks);
    },
    [boot.i18n, boot.setup, params, setParams, location.state],
  );

  // the URL wins (back/forward, a shared link)
  const urlLocale = params.get("locale");
  const urlCurrency = params.get("currency");
  useEffect(() => {
    const next = { ...prefs.current };
    if (urlLocale && boot.locales.some((l) => l.code === urlLocale)) next.locale = urlLocale;
    if (urlCurrency && boot.currencies.some((c) => c.code === urlCurrency)) next.currency = urlCurrency;
    void applyPrefs(next, true);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [urlLocale, urlCurrency]);

  const changeLocale = useCallback((code: string) => applyPrefs({ ...prefs.current, locale: code }, false), [applyPrefs]);
  const changeCurrency = useCallback((code: string) => applyPrefs({ ...prefs.current, currency: code }, false), [applyPrefs]);

  const login = useCallback(
    async (email: string, password: string) => {
      await session.login(email, password);
      setUser(session.user);
      ref.current = null;
      await loadCart().catch(() => undefined); // merges the guest cart into the customer's
    },
    [loadCart],
  );

  const logout = useCallback(async () => {
    try {
      await session.logout();
    } finally {
      setUser(null);
      ref.current = null;
      setCartState(null);
    }
  }, []);

  const value = useMemo<Store>(
    () => ({
      locale,
      currency,
      locales: boot.locales,
      currencies: boot.currencies,
      user,
      cart,
      setCart,
      ensureCart,
      cartRef,
      reloadCart,
      changeLocale,
      changeCurrency,
      login,
      logout,
    }),
    [locale, currency, boot.locales, boot.currencies, user, cart, setCart, ensureCart, cartRef, reloadCart, changeLocale, changeCurrency, login, logout],
  );
  return <StoreContext.Provider value={value}>{children}</StoreContext.Provider>;
}
