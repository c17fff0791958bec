import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { I18nextProvider } from "react-i18next";
import { createI18n } from "../shared/i18n";
import { session } from "../shared/session";
import { App } from "./App";
import { i18nSetup, initialLocale } from "./setup";
import "./admin.css";

// no favicon request (a 404 in the console): the console has no icon of its own
if (!document.querySelector("link[rel~='icon']")) {
  const icon = document.createElement("link");
  icon.rel = "icon";
  icon.href = "data:,";
  document.head.append(icon);
}

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
