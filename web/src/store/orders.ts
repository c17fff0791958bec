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
  payment?: { id: string; intent_id: string; client_secret?: string; expires_at?: string | null };
  /** While pending_payment: when its payment window closes (then reconciliation cancels it). */
  expires_at?: string | null;
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

/** A pending order's payment, from the order itself (its client_secret is shown while it waits for payment):
 * for a tab that lost its sessionStorage copy, e.g. back from the bank's page in another tab. */
export function pendingFromOrder(order: Order, token: string | null): Pending | null {
  if (order.status !== "pending_payment" || !order.payment?.client_secret) return null;
  return {
    orderId: order.id,
    cartId: order.cart_id ?? "",
    intentId: order.payment.intent_id,
    clientSecret: order.payment.client_secret,
    token: order.order_token ?? token,
    cartToken: null,
  };
}

/** When a pending order's payment window closes: the payment's own `expires_at`, else the order's. */
export function paymentWindowEnd(order: Order): string | null {
  if (order.status !== "pending_payment") return null;
  return order.payment?.expires_at ?? order.expires_at ?? null;
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

export type ConfirmResult =
  | { kind: "succeeded" }
  | { kind: "redirect"; url: string } // requires_action: the bank's page (3-D Secure)
  | { kind: "failed"; declined: boolean; code?: string; declineCode?: string };

interface IntentAnswer {
  status?: string;
  next_action?: { type?: string; redirect_to_url?: { url?: string } } | null;
  error?: { type?: string; code?: string; decline_code?: string };
}

/** Where a `requires_action` intent sends the shopper (its bank's challenge): an http(s) URL, never a script. */
function challengeUrl(answer: IntentAnswer): string | null {
  const url = answer.next_action?.type === "redirect_to_url" ? answer.next_action.redirect_to_url?.url : undefined;
  if (!url) return null;
  try {
    const target = new URL(url, window.location.href);
    return target.protocol === "https:" || target.protocol === "http:" ? target.href : null;
  } catch {
    return null;
  }
}

/** The card goes from the browser straight to the gateway (never to our API, never with our token).
 * `returnUrl` (a path on this site: the order page) is where the bank's challenge sends the shopper back. */
export async function confirmCard(pending: Pending, cardNumber: string, returnUrl: string): Promise<ConfirmResult> {
  const response = await fetch(`/sandbox/v1/payment_intents/${encodeURIComponent(pending.intentId)}/confirm`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({
      client_secret: pending.clientSecret,
      card_number: cardNumber.replace(/\s+/g, ""),
      return_url: returnUrl,
    }),
    credentials: "omit",
  });
  let body: IntentAnswer = {};
  try {
    body = await response.json();
  } catch {
    /* not JSON */
  }
  if (response.ok && body.status === "requires_action") {
    const url = challengeUrl(body);
    if (url) return { kind: "redirect", url };
    return { kind: "failed", declined: false, code: "requires_action" };
  }
  if (response.ok) return { kind: "succeeded" };
  return {
    kind: "failed",
    declined: response.status === 402 || body.error?.type === "card_error",
    code: body.error?.code,
    declineCode: body.error?.decline_code,
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
