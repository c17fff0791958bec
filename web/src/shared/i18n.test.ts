import { describe, expect, it } from "vitest";
import { createI18n, describeError, direction, fallbackChain, learnLocales, pickLocale, switchLocale } from "./i18n";
import { ApiError } from "./problem";

const common = import.meta.glob("./locales/*.json");
const messages: Record<string, () => Promise<unknown>> = {
  "./x/en.json": async () => ({ items: "{count, plural, one {# item} other {# items}}", hello: "Hello" }),
  "./x/ar.json": async () => ({
    items: "{count, plural, zero {لا عناصر} one {عنصر واحد} two {عنصران} few {# عناصر} many {# عنصرًا} other {# عنصر}}",
  }),
  "./x/pt.json": async () => ({ hello: "Olá" }),
};
const setup = { namespace: "app", messages, common };

describe("locales", () => {
  it("picks the first supported candidate, by language when the region is unknown", () => {
    const supported = ["en", "de", "pt-BR", "ar"];
    expect(pickLocale([null, "de-AT", "en"], supported)).toBe("de");
    expect(pickLocale(["PT-br"], supported)).toBe("pt-BR");
    expect(pickLocale(["xx", undefined], supported)).toBe("en");
  });

  it("knows the fallback chain and the direction", () => {
    expect(fallbackChain("pt-BR")).toEqual(["pt-BR", "pt", "en"]);
    expect(direction("ar")).toBe("rtl");
    expect(direction("ar-SA")).toBe("rtl");
    expect(direction("de")).toBe("ltr");
  });

  it("takes a locale's chain and direction from the platform's list (a locale staff added)", async () => {
    learnLocales([
      { code: "fr-BE", direction: "ltr", fallback: ["fr-BE", "fr", "en"] },
      { code: "ko", direction: "ltr", fallback: ["ko", "en"] },
      { code: "ckb-IQ", direction: "rtl", fallback: ["ckb-IQ", "en"] },
      { code: "xx-Arab", direction: "rtl", fallback: ["xx-Arab"] },
    ]);
    try {
      expect(fallbackChain("fr-BE")).toEqual(["fr-BE", "fr", "en"]);
      expect(fallbackChain("ko")).toEqual(["ko", "en"]);
      expect(fallbackChain("xx-Arab")).toEqual(["xx-Arab", "en"]);
      expect(direction("xx-Arab")).toBe("rtl");
      const i18n = await createI18n(setup, "ko");
      expect(i18n.t("hello")).toBe("Hello"); // no Korean bundle: English UI text
      await switchLocale(i18n, setup, "xx-Arab");
      expect(document.documentElement.dir).toBe("rtl");
    } finally {
      learnLocales([]);
    }
  });
});

describe("messages", () => {
  it("uses ICU plurals, including Arabic's six forms", async () => {
    const i18n = await createI18n(setup, "en");
    expect(i18n.t("items", { count: 1 })).toBe("1 item");
    expect(i18n.t("items", { count: 3 })).toBe("3 items");
    await switchLocale(i18n, setup, "ar");
    expect(i18n.t("items", { count: 2 })).toBe("عنصران");
    expect(i18n.t("items", { count: 0 })).toBe("لا عناصر");
    expect(document.documentElement.dir).toBe("rtl");
    expect(document.documentElement.lang).toBe("ar");
  });

  it("falls back along the chain: pt-BR → pt → en", async () => {
    const i18n = await createI18n(setup, "pt-BR");
    expect(i18n.t("hello")).toBe("Olá");
    expect(i18n.t("items", { count: 2 })).toBe("2 items");
    expect(document.documentElement.dir).toBe("ltr");
  });

  it("describes an API error in the person's language, per field", async () => {
    const i18n = await createI18n(setup, "de");
    const error = new ApiError({
      type: "https://meridian.dev/problems/validation",
      status: 400,
      detail: "Invalid input.",
      errors: { email: ["Not a valid email address."], items: { "0": { quantity: ["Must be between 1 and 99."] } } },
    });
    const described = describeError(error, i18n.t);
    expect(described.message).toBe("Bitte prüfe die markierten Felder.");
    expect(described.fields.email).toBe("Gib eine gültige E-Mail-Adresse ein.");
    expect(described.fields["items.0.quantity"]).toBe("Ungültiger Wert: Must be between 1 and 99.");
    const busy = describeError(new ApiError({ type: "https://meridian.dev/problems/unavailable", status: 503 }, 3), i18n.t);
    expect(busy.message).toBe("Der Dienst ist ausgelastet. Bitte in 3 Sekunden erneut versuchen.");
  });

  it("every locale's common messages have the same keys as English", async () => {
    const load = async (path: string) => ((await common[path]()) as { default: Record<string, Record<string, string>> }).default;
    const english = await load("./locales/en.json");
    for (const path of Object.keys(common)) {
      const other = await load(path);
      for (const group of Object.keys(english))
        expect(Object.keys(other[group]).sort(), `${path} ${group}`).toEqual(Object.keys(english[group]).sort());
    }
  });
});
