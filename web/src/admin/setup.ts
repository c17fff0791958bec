// The console's i18n setup: its own messages ("admin") and the shared ones ("common"), loaded on demand.
import type { I18nSetup } from "../shared/i18n";
import { pickLocale, UI_LOCALES } from "../shared/i18n";

export const i18nSetup: I18nSetup = {
  namespace: "admin",
  messages: import.meta.glob("./locales/*.json"),
  common: import.meta.glob("../shared/locales/*.json"),
};

const STORED = "meridian-admin-locale";

export function initialLocale(): string {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(STORED);
  } catch {
    /* storage unavailable */
  }
  return pickLocale([stored, ...(globalThis.navigator?.languages ?? [])], UI_LOCALES);
}

export function rememberLocale(locale: string): void {
  try {
    localStorage.setItem(STORED, locale);
  } catch {
    /* storage unavailable */
  }
}
