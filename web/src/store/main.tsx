import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { I18nextProvider } from "react-i18next";
import { api } from "../shared/api";
import { session } from "../shared/session";
import { createI18n, learnLocales, pickLocale, type I18nSetup } from "../shared/i18n";
import { StoreProvider, type Boot, type CurrencyInfo, type LocaleInfo, type Profile } from "./context";
import { App } from "./App";
import "./store.css";

const setup: I18nSetup = {
  namespace: "store",
  messages: import.meta.glob("./locales/*.json"),
  common: import.meta.glob("../shared/locales/*.json"),
};

async function list<T>(path: string, fallback: T[]): Promise<T[]> {
  try {
    return (await api<{ items: T[] }>(path)).items;
  } catch {
    return fallback;
  }
}

async function start(): Promise<Boot> {
  const url = new URLSearchParams(window.location.search);
  const [user, locales, currencies] = await Promise.all([
    session.restore().catch(() => null),
    list<LocaleInfo>("/api/v1/localization/locales", [{ code: "en", name: "English" }]),
    list<CurrencyInfo>("/api/v1/localization/currencies", [{ code: "USD", name: "US Dollar" }]),
  ]);
  let profile: Profile | null = null;
  if (user) profile = await api<Profile>("/api/v1/users/me").catch(() => null);
  learnLocales(locales); // a locale staff added: its direction and fallback chain (UI text from the nearest bundle)
  const localeCodes = locales.map((l) => l.code);
  const wanted = url.get("locale");
  const locale =
    wanted && localeCodes.includes(wanted)
      ? wanted
      : pickLocale([profile?.locale, ...(navigator.languages ?? [navigator.language])], localeCodes);
  const currencyCodes = currencies.map((c) => c.code);
  const currency = [url.get("currency"), profile?.currency, "USD"].find((c) => c && currencyCodes.includes(c)) ?? "USD";
  const i18n = await createI18n(setup, locale);
  return { i18n, setup, locale, currency, locales, currencies, user: session.user };
}

void start().then((boot) => {
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <I18nextProvider i18n={boot.i18n}>
        <BrowserRouter>
          <StoreProvider boot={boot}>
            <App />
          </StoreProvider>
        </BrowserRouter>
      </I18nextProvider>
    </StrictMode>,
  );
});
