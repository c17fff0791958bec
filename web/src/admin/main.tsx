import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { I18nextProvider } from "react-i18next";
import { createI18n } from "../shared/i18n";
import { session } from "../shared/session";
import { App } from "./App";
import { i18nSetup, initialLocale } from "./setup";
import "./admin.css";

async function start() {
  const [i18n] = await Promise.all([createI18n(i18nSetup, initialLocale()), session.restore().catch(() => null)]);
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <I18nextProvider i18n={i18n}>
        <App />
      </I18nextProvider>
    </StrictMode>,
  );
}

void start();
