import { describe, expect, it } from "vitest";
import { hasRole, RENEW_BEFORE_MS, Session } from "./session";

// a token the session can read (it never verifies: the API does)
function jwt(claims: Record<string, unknown>): string {
  const part = (value: object) => btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${part({ alg: "EdDSA", kid: "k" })}.${part(claims)}.sig`;
}

/** The auth service's refresh rotation: each cookie works once; a reused one revokes the family (401). */
class FakeAuth {
  generation = 0;
  family = true;
  refreshes = 0;
  cookie = 0; // the cookie the browser holds (shared by every tab, as a real cookie jar is)
  now = () => clock.now;

  fetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const path = String(url);
    if (path.endsWith("/refresh")) {
      if ((init?.headers as Record<string, string>)["X-Requested-With"] !== "XMLHttpRequest") return new Response(null, { status: 403 });
      this.refreshes += 1;
      const sent = this.cookie;
      await Promise.resolve(); // the network
      if (!this.family || sent !== this.generation) {
        this.family = false;
        return new Response(JSON.stringify({ title: "Unauthorized" }), { status: 401 });
      }
      this.generation += 1;
      this.cookie = this.generation;
      return Response.json({ access_token: this.token(), token_type: "Bearer", expires_in: 900 });
    }
    if (path.endsWith("/login")) {
      const { password } = JSON.parse(String(init?.body));
      if (password !== "right") return Response.json({ type: "https://meridian.dev/problems/unauthorized", title: "Unauthorized" }, { status: 401 });
      this.generation += 1;
      this.cookie = this.generation;
      return Response.json({ access_token: this.token() });
    }
    if (path.endsWith("/logout")) {
      this.family = false;
      return new Response(null, { status: 204 });
    }
    return new Response(null, { status: 404 });
  };

  token(): string {
    return jwt({ sub: "u1", role: "customer", exp: Math.floor(clock.now / 1000) + 900, gen: this.generation });
  }
}

const clock = { now: 1_800_000_000_000 };

/** BroadcastChannel between tabs of one browser, delivered asynchronously as browsers do. */
class Hub {
  members: { onmessage: ((event: MessageEvent) => void) | null }[] = [];
  channel() {
    const self = this;
    const member = {
      onmessage: null as ((event: MessageEvent) => void) | null,
      postMessage(data: unknown) {
        for (const other of self.members) if (other !== member) queueMicrotask(() => other.onmessage?.({ data } as MessageEvent));
      },
      close() {
        self.members = self.members.filter((m) => m !== member);
      },
    };
    this.members.push(member);
    return member;
  }
}

/** navigator.locks: one holder at a time, the others queue. */
function fakeLocks() {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    request: ((_name: string, callback: () => Promise<unknown>) => {
      const run = tail.then(callback);
      tail = run.catch(() => undefined);
      return run;
    }) as unknown as LockManager["request"],
  };
}

function tab(auth: FakeAuth, hub: Hub | null, locks: ReturnType<typeof fakeLocks> | null, timers: (() => void)[] = []) {
  return new Session({
    fetch: auth.fetch as typeof fetch,
    channel: hub ? hub.channel() : null,
    locks,
    now: () => clock.now,
    setTimer: (fn, ms) => {
      if (ms === 0) return setTimeout(fn, 0); // restore()'s wait for sibling tabs
      timers.push(fn); // renewals: the test fires them after moving the clock
      return timers.length;
    },
    clearTimer: () => undefined,
    askTimeoutMs: 0,
    hint: null,
  });
}

describe("Session", () => {
  it("keeps the access token in memory only and signs in", async () => {
    const auth = new FakeAuth();
    const session = tab(auth, null, null);
    await expect(session.login("a@example.com", "wrong")).rejects.toMatchObject({ status: 401 });
    const claims = await session.login("a@example.com", "right");
    expect(claims.sub).toBe("u1");
    expect(session.accessToken).toMatch(/\.sig$/);
    expect(document.cookie).toBe("");
  });

  it("restores through the refresh cookie on load, with the CSRF header", async () => {
    const auth = new FakeAuth();
    auth.generation = auth.cookie = 7;
    const session = tab(auth, null, null);
    expect((await session.restore())?.sub).toBe("u1");
    expect(auth.refreshes).toBe(1);
  });

  it("is signed out when the cookie is refused", async () => {
    const auth = new FakeAuth();
    auth.family = false;
    const session = tab(auth, null, null);
    expect(await session.restore()).toBeNull();
    expect(session.user).toBeNull();
  });

  it("renews before the token expires", async () => {
    const auth = new FakeAuth();
    const timers: (() => void)[] = [];
    const session = tab(auth, null, null, timers);
    await session.login("a@example.com", "right");
    const first = session.accessToken;
    clock.now += 900_000 - RENEW_BEFORE_MS;
    timers.at(-1)!();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(auth.refreshes).toBe(1);
    expect(session.accessToken).not.toBe(first);
  });

  it("two tabs renewing at once never spend the same cookie twice (no logout)", async () => {
    const auth = new FakeAuth();
    auth.generation = auth.cookie = 1;
    const hub = new Hub();
    const locks = fakeLocks();
    const [a, b] = [tab(auth, hub, locks), tab(auth, hub, locks)];
    const [ca, cb] = await Promise.all([a.refresh(), b.refresh()]);
    expect(ca?.sub).toBe("u1");
    expect(cb?.sub).toBe("u1");
    expect(auth.family).toBe(true);
    expect(auth.refreshes).toBe(1); // the second tab took the token the first one broadcast
    expect(a.accessToken).toBe(b.accessToken);
  });

  it("without coordination the rotation would log the user out (what the lock prevents)", async () => {
    const auth = new FakeAuth();
    auth.generation = auth.cookie = 1;
    const [a, b] = [tab(auth, null, null), tab(auth, null, null)];
    await Promise.all([a.refresh(), b.refresh()]);
    expect(auth.family).toBe(false);
  });

  it("a new tab takes a sibling's token instead of refreshing, and logout reaches every tab", async () => {
    const auth = new FakeAuth();
    const hub = new Hub();
    const locks = fakeLocks();
    const first = tab(auth, hub, locks);
    await first.login("a@example.com", "right");
    const second = tab(auth, hub, locks);
    expect((await second.restore())?.sub).toBe("u1");
    expect(auth.refreshes).toBe(0);
    const seen: unknown[] = [];
    second.subscribe((claims) => seen.push(claims));
    await first.logout();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(second.user).toBeNull();
    expect(seen).toEqual([null]);
  });

  it("keeps no token in storage; a visitor who never signed in makes no refresh call", async () => {
    const auth = new FakeAuth();
    const stored = new Map<string, string>();
    const hint = { getItem: (k: string) => stored.get(k) ?? null, setItem: (k: string, v: string) => void stored.set(k, v),
                   removeItem: (k: string) => void stored.delete(k) };
    const make = () => new Session({ fetch: auth.fetch as typeof fetch, channel: null, locks: null, hint, now: () => clock.now });
    expect(await make().restore()).toBeNull();
    expect(auth.refreshes).toBe(0);
    const session = make();
    await session.login("a@example.com", "right");
    expect([...stored.values()].join()).not.toContain(".sig");       // a flag, never the token
    expect((await make().restore())?.sub).toBe("u1");                 // a reload: the cookie renews it
    expect(auth.refreshes).toBe(1);
    await session.logout();
    expect(stored.size).toBe(0);
    session.close();
  });

  it("ranks roles", () => {
    expect(hasRole({ sub: "x", role: "super_admin", exp: 0 }, "admin")).toBe(true);
    expect(hasRole({ sub: "x", role: "customer", exp: 0 }, "admin")).toBe(false);
    expect(hasRole(null, "customer")).toBe(false);
  });
});
