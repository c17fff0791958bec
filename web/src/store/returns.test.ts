// What the storefront offers to return: shipped units, less what returns not rejected already ask back.
import { describe, expect, it } from "vitest";
import { returnable, type ReturnsView } from "./ReturnRequest";

const order = (extra: Partial<ReturnsView>): ReturnsView => ({
  id: "o1",
  status: "partially_fulfilled",
  items: [{ line_id: "a", name: "Mug", quantity: 2 }, { line_id: "b", name: "Pot", quantity: 1 }],
  ...extra,
});

describe("returnable", () => {
  it("offers only what shipped", () => {
    expect(returnable(order({}))).toEqual({});
    expect(returnable(order({ shipments: [{ id: "s", items: [{ line_id: "a", quantity: 1 }], carrier: null, tracking_number: null, tracking_url: null, shipped_at: "" }] }))).toEqual({ a: 1 });
  });

  it("takes away what other returns ask back, unless they were rejected", () => {
    const shipments = [{ id: "s", items: [{ line_id: "a", quantity: 2 }, { line_id: "b", quantity: 1 }], carrier: null, tracking_number: null, tracking_url: null, shipped_at: "" }];
    const returns = [
      { id: "r1", status: "requested", items: [{ line_id: "a", quantity: 1 }], requested_at: "" },
      { id: "r2", status: "rejected", items: [{ line_id: "b", quantity: 1 }], requested_at: "" },
      { id: "r3", status: "refunded", items: [{ line_id: "a", quantity: 1 }], requested_at: "" },
    ];
    expect(returnable(order({ shipments, returns }))).toEqual({ b: 1 });
  });
});
