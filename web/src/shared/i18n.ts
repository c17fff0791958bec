// UI text: i18next with ICU messages (plurals, selects: "{count, plural, one {# item} other {# items}}"),
// one JSON file of messages per locale and app, loaded on demand (only the shopper's locale and its
// fallbacks are fetched). `common` (this folder) holds what both apps say: errors, field names.
import i18next, { type i18n as I18n, type TFunction } from "i18next";
import ICU from "i18next-icu";
import { initReactI18next } from "react-i18next";
import { ApiError } from "./problem";

export const UI_LOCALES = ["en", "de", "fr", "es", "ja", "pt-BR", "ar"] as const;
export const DEFAULT_LOCALE = "en";
const RTL_LANGUAGES = new Set(["ar", "he", "fa", "ur", "ps", "yi", "dv", "ckb", "sd", "ug"]);

type Messages = Record<string, unknown>;
export type MessageLoaders = Record<string, () => Promise<unknown>>; // import.meta.glob("./locales/*.json")

// What GET /api/v1/localization/locales says of each locale (staff add locales there): its direction and
// fallback chain win over the guesses below, which serve locales it did not list.
interface KnownLocale {
  code: string;
  direction?: "ltr" | "rtl";
  fallback?: string[];
}
const known = new Map<string, KnownLocale>();

/** Remember the platform's locales (their direction and fallback chain), e.g. as the storefront boots. */
export function learnLocales(locales: readonly KnownLocale[]): void {
  known.clear();
  for (const locale of locales) known.set(locale.code, locale);
}

export function direction(locale: string): "ltr" | "rtl" {
  const told = known.get(locale)?.direction;
  if (told) return told;
  const language = locale.split("-")[0].toLowerCase();
  return RTL_LANGUAGES.has(language) ? "rtl" : "ltr";
}

/** The fallback chain of a locale: "pt-BR" → ["pt-BR", "pt", "en"] (UI messages of a locale without a bundle
 * come from the nearest one along it, else English). */
export function fallbackChain(locale: string): string[] {
  const told = known.get(locale)?.fallback;
  if (told && told.length) {
    const chain = told[0] === locale ? [...told] : [locale, ...told];
    return chain.includes(DEFAULT_LOCALE) ? chain : [...chain, DEFAULT_LOCALE];
  }
  const chain = [locale];
  const language = locale.split("-")[0];
  if (language !== locale) chain.push(language);
  if (!chain.includes(DEFAULT_LOCALE)) chain.push(DEFAULT_LOCALE);
  return chain;
}

/** The first candidate the platform supports, exactly or by its language ("de-AT" → "de"); else "en". */
export function pickLocale(candidates: readonly (string | null | undefined)[], supported: readonly string[]): string {
  const byLower = new Map(supported.map((code) => [code.toLowerCase(), code]));
  for (const candidate of candidates) {
    if (!candidate) continue;
    const exact = byLower.get(candidate.toLowerCase());
    if (exact) return exact;
    const language = byLower.get(candidate.split("-")[0].toLowerCase());
    if (language) return language;
  }
  return DEFAULT_LOCALE;
}

function fileLocale(path: string): string {
  return path.split("/").pop()!.replace(/\.json$/, "");
}

async function load(loaders: MessageLoaders, locale: string): Promise<Messages | null> {
  const entry = Object.entries(loaders).find(([path]) => fileLocale(path) === locale);
  if (!entry) return null;
  const module = (await entry[1]()) as { default?: Messages } & Messages;
  return (module.default ?? module) as Messages;
}

export interface I18nSetup {
  namespace: string; // "store" | "admin"
  messages: MessageLoaders;
  common: MessageLoaders;
}

export async function createI18n(setup: I18nSetup, locale: string): Promise<I18n> {
  const instance = i18next.createInstance();
  await instance.use(ICU).use(initReactI18next).init({
    lng: locale,
    fallbackLng: (code: string) => fallbackChain(code).slice(1),
    ns: [setup.namespace, "common"],
    defaultNS: setup.namespace,
    fallbackNS: "common",
    resources: {},
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  await switchLocale(instance, setup, locale);
  return instance;
}

/** Switch the UI to `locale`: fetch its messages (and its fallbacks'), set <html lang dir>. */
export async function switchLocale(instance: I18n, setup: I18nSetup, locale: string): Promise<void> {
  const missing = fallbackChain(locale).filter((code) => !instance.hasResourceBundle(code, setup.namespace));
  const loaded = await Promise.all(  // the whole chain at once: one round trip, not one per locale
    missing.map((code) => Promise.all([load(setup.messages, code), load(setup.common, code)])));
  missing.forEach((code, index) => {
    const [own, common] = loaded[index];
    if (own) instance.addResourceBundle(code, setup.namespace, own, true, true);
    if (common) instance.addResourceBundle(code, "common", common, true, true);
  });
  await instance.changeLanguage(locale);
  if (typeof document !== "undefined") {
    document.documentElement.lang = locale;
    document.documentElement.dir = direction(locale);
  }
}

// What the API's validation says, in the person's language where we know the message.
const KNOWN_FIELD_MESSAGES: Record<string, string> = {
  "Missing data for required field.": "required",
  "Not a valid email address.": "email",
  "Field may not be null.": "required",
  "Unknown field.": "unknown_field",
  "Not a valid integer.": "integer",
  "Not a valid number.": "number",
};

export interface DescribedError {
  message: string;
  fields: Record<string, string>;
}

/** An error for the person: the headline in their language, and per field (the API's field path) a message. */
export function describeError(error: unknown, t: TFunction): DescribedError {
  if (!(error instanceof ApiError)) return { message: t("common:errors.unexpected"), fields: {} };
  const fallback = error.problem.detail || error.problem.title || t("common:errors.unexpected");
  const message = t(`common:errors.${error.slug}`, { defaultValue: fallback, retryAfter: error.retryAfter ?? 1 });
  const fields: Record<string, string> = {};
  for (const [path, messages] of Object.entries(error.fieldErrors)) {
    const text = messages[0] ?? "";
    const known = KNOWN_FIELD_MESSAGES[text];
    fields[path] = known ? t(`common:field_errors.${known}`) : t("common:field_errors.invalid", { detail: text });
  }
  return { message, fields };
}
