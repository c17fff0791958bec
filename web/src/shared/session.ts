// The signed-in session of an SPA: the access token lives in memory only (never in storage); the
// refresh token is an HttpOnly, SameSite=Strict cookie the browser sends to /api/v1/auth/refresh.
//
// - On load, a tab first asks its sibling tabs (BroadcastChannel) for a live access token, and only
//   refreshes through the cookie when none answers.
// - It renews the token `RENEW_BEFORE_MS` before it expires.
// - Tabs never race the rotation: a refresh runs under a Web Lock, and whoever holds it broadcasts the
//   new token. A tab that waited for the lock and meanwhile heard a newer token uses that one instead
//   of spending the (now rotated) cookie — a refresh token used twice revokes its whole family.
// - The cookie is HttpOnly, so a page cannot see whether there is one: a hint in localStorage (a flag,
//   no token) says this browser signed in, so a visitor who never did makes no refresh call (no 401).

import { ApiError } from "./problem";

export interface Claims {
  sub: string;
  role: "customer" | "admin" | "super_admin";
  exp: number; // seconds since the epoch
  email?: string;
  email_verified?: boolean;
  [claim: string]: unknown;
}

export type SessionListener = (claims: Claims | null) => void;

type Message = { kind: "token"; token: string } | { kind: "logout" } | { kind: "ask" };

interface Channel {
  postMessage(message: Message): void;
  onmessage: ((event: MessageEvent<Message>) => void) | null;
  close(): void;
}

export interface SessionOptions {
  fetch?: typeof fetch;
  hint?: Pick<Storage, "getItem" | "setItem" | "removeItem"> | null;
  channel?: Channel | null;
  locks?: Pick<LockManager, "request"> | null;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  askTimeoutMs?: number;
}

export const AUTH = "/api/v1/auth";
export const RENEW_BEFORE_MS = 60_000;
export const HINT_KEY = "meridian.signed-in";
const CSRF = { "X-Requested-With": "XMLHttpRequest" };
const ROLE_RANK = { customer: 0, admin: 1, super_admin: 2 } as const;

export function decodeClaims(token: string): Claims {
  const part = token.split(".")[1];
  if (!part) throw new Error("not a JWT");
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  const json = new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
  return JSON.parse(json) as Claims;
}

export function hasRole(claims: Claims | null, role: keyof typeof ROLE_RANK): boolean {
  return !!claims && (ROLE_RANK[claims.role] ?? -1) >= ROLE_RANK[role];
}

export class Session {
  private token: string | null = null;
  private claims: Claims | null = null;
  private timer: unknown = null;
  private listeners = new Set<SessionListener>();
  private readonly fetch: typeof fetch;
  private readonly channel: Channel | null;
  private readonly locks: Pick<LockManager, "request"> | null;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private readonly askTimeoutMs: number;
  private readonly hint: SessionOptions["hint"];

  constructor(options: SessionOptions = {}) {
    this.fetch = options.fetch ?? ((...args) => globalThis.fetch(...args));
    this.channel =
      options.channel !== undefined
        ? options.channel
        : typeof BroadcastChannel !== "undefined"
          ? (new BroadcastChannel("meridian-session") as unknown as Channel)
          : null;
    this.locks = options.locks !== undefined ? options.locks : (globalThis.navigator?.locks ?? null);
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((handle) => clearTimeout(handle as ReturnType<typeof setTimeout>));
    this.askTimeoutMs = options.askTimeoutMs ?? 150;
    this.hint = options.hint !== undefined ? options.hint : typeof localStorage !== "undefined" ? localStorage : null;
    if (this.channel) this.channel.onmessage = (event) => this.hear(event.data);
  }

  get accessToken(): string | null {
    return this.fresh() ? this.token : null;
  }

  get user(): Claims | null {
    return this.fresh() ? this.claims : null;
  }

  subscribe(listener: SessionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** On page load: a sibling tab's token, else the refresh cookie (if this browser signed in), else signed out. */
  async restore(): Promise<Claims | null> {
    if (this.hint && this.hint.getItem(HINT_KEY) === null) return null;
    if (this.channel) {
      this.channel.postMessage({ kind: "ask" });
      await new Promise((resolve) => this.setTimer(() => resolve(null), this.askTimeoutMs));
      if (this.fresh()) return this.claims;
    }
    return this.refresh();
  }

  async login(email: string, password: string): Promise<Claims> {
    const response = await this.fetch(`${AUTH}/login`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ email, password }),
    });
    if (!response.ok) throw await problemOf(response);
    const { access_token } = (await response.json()) as { access_token: string };
    this.adopt(access_token, true);
    return this.claims as Claims;
  }

  /** Renew through the cookie, one tab at a time; null when the cookie is missing, expired or revoked. */
  async refresh(): Promise<Claims | null> {
    const before = this.token;
    const run = async () => {
      // another tab refreshed while this one waited for the lock: its token is ours too
      if (this.token !== before && this.fresh()) return this.claims;
      const response = await this.fetch(`${AUTH}/refresh`, {
        method: "POST",
        credentials: "same-origin",
        headers: { ...CSRF, Accept: "application/json" },
      });
      if (response.status === 401 || response.status === 403) {
        this.forget(false);
        return null;
      }
      if (!response.ok) throw await problemOf(response);
      const { access_token } = (await response.json()) as { access_token: string };
      this.adopt(access_token, true);
      return this.claims;
    };
    return this.locks ? this.locks.request("meridian-refresh", run) : run();
  }

  async logout(): Promise<void> {
    try {
      await this.fetch(`${AUTH}/logout`, { method: "POST", credentials: "same-origin", headers: CSRF });
    } finally {
      this.forget(true);
    }
  }

  close(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.channel?.close();
  }

  private fresh(): boolean {
    return !!this.token && !!this.claims && this.claims.exp * 1000 > this.now();
  }

  private adopt(token: string, announce: boolean): void {
    const claims = decodeClaims(token);
    if (claims.exp * 1000 <= this.now()) return;
    this.token = token;
    this.claims = claims;
    this.hint?.setItem(HINT_KEY, "1");
    if (announce) this.channel?.postMessage({ kind: "token", token });
    this.schedule();
    this.emit();
  }

  private forget(announce: boolean): void {
    const had = this.token !== null;
    this.token = null;
    this.claims = null;
    this.hint?.removeItem(HINT_KEY);
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    if (announce) this.channel?.postMessage({ kind: "logout" });
    if (had) this.emit();
  }

  private schedule(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    const due = (this.claims?.exp ?? 0) * 1000 - RENEW_BEFORE_MS - this.now();
    this.timer = this.setTimer(() => {
      this.timer = null;
      void this.refresh().catch(() => undefined);
    }, Math.max(due, 0));
  }

  private hear(message: Message): void {
    if (message.kind === "ask" && this.fresh() && this.token) this.channel?.postMessage({ kind: "token", token: this.token });
    else if (message.kind === "token" && message.token !== this.token) {
      const incoming = decodeClaims(message.token);
      if (!this.claims || incoming.exp >= this.claims.exp) this.adopt(message.token, false);
    } else if (message.kind === "logout") this.forget(false);
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.user);
  }
}

export async function problemOf(response: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  return new ApiError({ ...body, status: response.status }, Number(response.headers.get("Retry-After")) || null);
}

export const session = new Session();
