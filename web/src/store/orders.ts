// Orders: placing one from the cart (Idempotency-Key, a guest's Cart-Token), what the payment step needs.
import { api, newIdempotencyKey } from "../shared/api";
import { ApiError } from "../shared/problem";
import { tokenHeaders, type CartRef, type Quote } from "./cart";

export interface HistoryEntry {
  status: string;
  at: string;
  reason?: string | null;
}

export interface Order extends Quote {
  id: string;
  status: string;
  email?: string;
  cart_id?: string;
  created_at?: string;
  items: Quote["items"];
  history: HistoryEntry[];
  payment?: { id: string; intent_id: string; client_secret?: string };
  order_token?: string;
  shipping_address?: Record<string, string | null> | null;
}

export interface Pending {
  orderId: string;
  cartId: string;
  intentId: string;
  clientSecret: string;
  token: string | null;
  cartToken: string | null;
}

const KEY = "meridian.pending";

export function savePending(pending: Pending): void {
  sessionStorage.setItem(`${KEY}.${pending.orderId}`, JSON.stringify(pending));
}

export function loadPending(orderId: string): Pending | null {
  try {
    return JSON.parse(sessionStorage.getItem(`${KEY}.${orderId}`) ?? "null") as Pending | null;
  } catch {
    return null;
  }
}

export function dropPending(orderId: string): void {
  sessionStorage.removeItem(`${KEY}.${orderId}`);
}

export function placeOrder(ref: CartRef, idempotencyKey: string): Promise<Order> {
  return api<Order>("/api/v1/orders", { method: "POST", body: { cart_id: ref.id }, idempotencyKey, headers: tokenHeaders(ref) });
}

export function pendingOf(order: Order, ref: CartRef): Pending {
  return {
    orderId: order.id,
    cartId: ref.id,
    intentId: order.payment!.intent_id,
    clientSecret: order.payment!.client_secret!,
    token: order.order_token ?? null,
    cartToken: ref.token,
  };
}

export function getOrder(id: string, token: string | null): Promise<Order> {
  return api<Order>(`/api/v1/orders/${id}`, { query: { token } });
}

export function orderPath(id: string, token: string | null): string {
  return token ? `/orders/${id}?token=${encodeURIComponent(token)}` : `/orders/${id}`;
}

export { newIdempotencyKey };

export function isQuoteChanged(error: unknown): error is ApiError {
  return error instanceof ApiError && error.slug === "quote-changed";
}

export type ConfirmResult = { ok: true } | { ok: false; declined: boolean; code?: string; declineCode?: string };

/** The card goes from the browser straight to the gateway (never to our API, never with our token). */
export async function confirmCard(pending: Pending, cardNumber: string): Promise<ConfirmResult> {
  const response = await fetch(`/sandbox/v1/payment_intents/${encodeURIComponent(pending.intentId)}/confirm`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ client_secret: pending.clientSecret, card_number: cardNumber.replace(/\s+/g, "") }),
    credentials: "omit",
  });
  if (response.ok) return { ok: true };
  let body: { error?: { type?: string; code?: string; decline_code?: string } } = {};
  try {
    body = await response.json();
  } catch {
    /* not JSON */
  }
  return {
    ok: false,
    declined: response.status === 402 || body.error?.type === "card_error",
    code: body.error?.code,
    declineCode: body.error?.decline_code,
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
