// The shopper's cart: a guest's {id, cart_token} lives in localStorage and travels as Cart-Token; a
// signed-in customer's cart is theirs through the access token (POST /carts answers their open cart).
import { api, type CallOptions } from "../shared/api";
import { ApiError } from "../shared/problem";
import type { Money } from "../shared/money";

export interface CartLine {
  id: string;
  product_id: string;
  sku: string | null;
  name: string;
  quantity: number;
  available?: number;
  unit_price: Money;
  line_total: Money;
}

export interface TaxLine {
  name: string;
  rate: string;
  amount: Money;
}

export interface ShippingMethod {
  id: string;
  name: string;
  amount: Money;
  delivery?: { min_days: number; max_days: number };
}

export interface Address {
  id?: string;
  name: string;
  line1: string;
  line2?: string | null;
  city: string;
  region?: string | null;
  postal_code: string;
  country: string;
}

export interface Warning {
  code?: string;
  type?: string;
  reason?: string;
  message?: string;
  [key: string]: unknown;
}

export interface Quote {
  items: CartLine[];
  subtotal: Money;
  discount_total: Money;
  shipping_total: Money;
  tax_total: Money;
  total: Money;
  tax_included: boolean;
  taxes: TaxLine[];
  promotions?: (string | { code: string; [key: string]: unknown })[];
  warnings?: (Warning | string)[];
  shipping_method?: ShippingMethod | null;
}

export interface Cart extends Quote {
  id: string;
  status: string;
  email: string | null;
  currency: string;
  locale: string;
  cart_token?: string;
  shipping_address: Address | null;
  address_id: string | null;
}

export interface CartRef {
  id: string;
  token: string | null;
}

const KEY = "meridian.cart";

export function storedGuestCart(): CartRef | null {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? "null") as CartRef | null;
    return value && typeof value.id === "string" ? value : null;
  } catch {
    return null;
  }
}

export function storeGuestCart(ref: CartRef | null): void {
  if (ref) localStorage.setItem(KEY, JSON.stringify(ref));
  else localStorage.removeItem(KEY);
}

export function tokenHeaders(ref: CartRef | null): Record<string, string> {
  return ref?.token ? { "Cart-Token": ref.token } : {};
}

/** A call on the cart `ref` (its Cart-Token when a guest's). */
export function cartCall<T = Cart>(ref: CartRef, path: string, options: CallOptions = {}): Promise<T> {
  return api<T>(`/api/v1/carts/${ref.id}${path}`, { ...options, headers: { ...options.headers, ...tokenHeaders(ref) } });
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}

export function promotionCode(promotion: string | { code: string }): string {
  return typeof promotion === "string" ? promotion : promotion.code;
}

export function itemCount(cart: Cart | null): number {
  return cart ? cart.items.reduce((sum, line) => sum + line.quantity, 0) : 0;
}
