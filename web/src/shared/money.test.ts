import { describe, expect, it } from "vitest";
import { formatMoney } from "./money";

describe("formatMoney", () => {
  it("shows the server's decimal string in the shopper's locale", () => {
    expect(formatMoney({ amount: "1234.50", currency: "EUR" }, "de")).toBe("1.234,50\u00a0€");
    expect(formatMoney({ amount: "1234.50", currency: "USD" }, "en")).toBe("$1,234.50");
  });

  it("keeps exactly the minor units the server sent (JPY 0, KWD 3)", () => {
    expect(formatMoney({ amount: "3776", currency: "JPY" }, "ja")).toBe("￥3,776");
    expect(formatMoney({ amount: "1.250", currency: "KWD" }, "en")).toBe("KWD\u00a01.250");
  });

  it("never goes through a float: amounts beyond double precision stay exact", () => {
    // 9007199254740993 is not representable as a double (it would print ...992)
    expect(formatMoney({ amount: "9007199254740993.01", currency: "USD" }, "en")).toBe("$9,007,199,254,740,993.01");
    expect(formatMoney({ amount: "0.10", currency: "USD" }, "en")).toBe("$0.10");
  });

  it("follows the locale's conventions for Arabic: riyal sign, right-to-left mark, the region's digits", () => {
    const text = formatMoney({ amount: "19.99", currency: "SAR" }, "ar");
    expect(text).toContain("ر.س");
    expect(text).toContain("\u200f");
    expect(formatMoney({ amount: "19.99", currency: "EGP" }, "ar-EG")).toContain("١٩٫٩٩");
  });

  it("refuses what is not a decimal string", () => {
    expect(() => formatMoney({ amount: "1e3", currency: "USD" }, "en")).toThrow();
    expect(() => formatMoney({ amount: "", currency: "USD" }, "en")).toThrow();
  });
});
