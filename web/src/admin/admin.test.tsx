import { describe, expect, it } from "vitest";
import { revenueEntries, revenueRows } from "./pages/Dashboard";
import { leftToShip, lineErrors } from "./pages/afterPayment";
import { ALL_EVENTS, WEBHOOK_EVENTS, chosenEvents } from "./pages/Webhooks";
import { byField, pricesChange } from "./pages/ProductEdit";
import en from "./locales/en.json";
import de from "./locales/de.json";
import fr from "./locales/fr.json";
import es from "./locales/es.json";
import ja from "./locales/ja.json";
import ptBR from "./locales/pt-BR.json";
import ar from "./locales/ar.json";
import { withPrefixes } from "./pages/editing";
import { promotionBody } from "./pages/Promotions";

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

  it("sends fixed prices as changed: new or changed amounts as typed, null for a removed currency", () => {
    const before = { JPY: "2500", EUR: "21.90" };
    expect(pricesChange(before, [{ currency: "jpy", amount: "2400" }, { currency: "GBP", amount: " 18.50 " }])).toEqual({ JPY: "2400", GBP: "18.50", EUR: null });
    expect(pricesChange(before, [{ currency: "EUR", amount: "21.90" }, { currency: "JPY", amount: "2500" }, { currency: "", amount: "" }])).toEqual({});
  });

  it("has messages for every English one in every locale", () => {
    for (const messages of [de, fr, es, ja, ptBR, ar]) expect(keys(messages).sort()).toEqual(keys(en).sort());
  });

  it("shows a nested field error on its field and on the group around it", () => {
    expect(withPrefixes({ "amounts.EUR.value": "bad" })).toEqual({ "amounts.EUR.value": "bad", "amounts.EUR": "bad", amounts: "bad" });
  });

  it("sends a promotion's amounts as the decimal strings typed, only the kind's own value", () => {
    const body = promotionBody({
      code: " SAVE5 ", kind: "fixed", percent: "10", amounts: [{ currency: "eur", amount: " 5.00 " }], minimum_subtotal: [],
      starts_at: "", ends_at: "", usage_limit: "", per_customer_limit: "2", combinable: true, active: true,
    });
    expect(body).toMatchObject({ code: "SAVE5", percent: null, amounts: { EUR: "5.00" }, minimum_subtotal: {}, starts_at: null, usage_limit: null, per_customer_limit: 2 });
  });

  it("shows revenue per currency as gross / refunded / net, the server's strings as sent", () => {
    expect(revenueRows({ revenue: { EUR: "80.00" }, revenue_breakdown: { EUR: { gross: "100.00", refunded: "20.00", net: "80.00" } } })).toEqual([
      { currency: "EUR", gross: { currency: "EUR", amount: "100.00" }, refunded: { currency: "EUR", amount: "20.00" }, net: { currency: "EUR", amount: "80.00" } },
    ]);
    // an answer without the breakdown: its revenue is gross and net, nothing refunded
    expect(revenueRows({ revenue: { JPY: "3776" } })[0]).toMatchObject({ gross: { amount: "3776" }, refunded: { amount: "0" }, net: { amount: "3776" } });
    expect(revenueRows(null)).toEqual([]);
  });

  it("offers to ship what each line has left after its shipments", () => {
    const items = [{ line_id: "a", quantity: 2 }, { line_id: "b", quantity: 1 }] as never;
    expect(leftToShip({ items, shipments: [] })).toEqual({ a: 2, b: 1 });
    expect(leftToShip({ items, shipments: [{ items: [{ line_id: "a", quantity: 1 }] }, { items: [{ line_id: "b", quantity: 1 }] }] as never })).toEqual({ a: 1, b: 0 });
  });

  it("puts an items.<n> field error on the line the form sent n-th", () => {
    expect(lineErrors({ "items.1.quantity": "too many", carrier: "required" }, ["a", "b"])).toEqual({ b: "too many" });
    expect(lineErrors({ "items.5.quantity": "x" }, ["a"])).toEqual({});
  });

  it("subscribes to the events ticked, or to every one (later ones too) with *", () => {
    expect(chosenEvents(false, ["order.paid", "order.placed", "nonsense"])).toEqual(["order.placed", "order.paid"]);
    expect(chosenEvents(true, [])).toEqual([ALL_EVENTS]);
    expect(WEBHOOK_EVENTS).toContain("return.refunded");
  });
});
