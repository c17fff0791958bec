// Every storefront locale says everything en says, and every message is valid ICU.
import { describe, expect, it } from "vitest";
import { IntlMessageFormat } from "intl-messageformat";

const files = import.meta.glob<{ default: Record<string, unknown> }>("./locales/*.json", { eager: true });

function flatten(value: Record<string, unknown>, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v && typeof v === "object") Object.assign(out, flatten(v as Record<string, unknown>, `${prefix}${key}.`));
    else out[`${prefix}${key}`] = String(v);
  }
  return out;
}

const locales = Object.fromEntries(
  Object.entries(files).map(([path, module]) => [path.split("/").pop()!.replace(".json", ""), flatten(module.default)]),
);

describe("store messages", () => {
  it("has the 7 locales", () => {
    expect(Object.keys(locales).sort()).toEqual(["ar", "de", "en", "es", "fr", "ja", "pt-BR"]);
  });

  for (const [locale, messages] of Object.entries(locales)) {
    it(`${locale}: same keys as en, valid ICU, plurals format`, () => {
      expect(Object.keys(messages).sort()).toEqual(Object.keys(locales.en).sort());
      for (const [key, text] of Object.entries(messages)) {
        const format = new IntlMessageFormat(text, locale);
        expect(() => format.format({ count: 3, available: 2, min: 1, max: 3, name: "x", code: "X", detail: "d", rate: "19 %", id: "1", label: "l" }), key).not.toThrow();
      }
      expect(new IntlMessageFormat(messages["header.cart"], locale).format({ count: 1 })).toBeTruthy();
    });
  }
});
