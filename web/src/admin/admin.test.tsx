import { describe, expect, it } from "vitest";
import { revenueEntries } from "./pages/Dashboard";
import { byField } from "./pages/ProductEdit";
import en from "./locales/en.json";
import de from "./locales/de.json";

function keys(value: unknown, prefix = ""): string[] {
  if (!value || typeof value !== "object") return [prefix];
  return Object.entries(value).flatMap(([key, inner]) => keys(inner, prefix ? `${prefix}.${key}` : key));
}

describe("admin console helpers", () => {
  it("reads revenue as Money whichever shape the server sends, keeping the amount string", () => {
    expect(revenueEntries({ EUR: "12.30", JPY: { amount: "3776", currency: "JPY" } })).toEqual([
      { currency: "EUR", amount: "12.30" },
      { currency: "JPY", amount: "3776" },
    ]);
    expect(revenueEntries(null)).toEqual([]);
  });

  it("puts nested field errors on their form field", () => {
    expect(byField({ "images.1": "bad url", name: "required" })).toEqual({ "images.1": "bad url", images: "bad url", name: "required" });
  });

  it("has German messages for every English one", () => {
    expect(keys(de).sort()).toEqual(keys(en).sort());
  });
});
