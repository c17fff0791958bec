// Calls to Meridian's API on this origin: JSON in and out, the session's bearer token, one retry after
// a 401 once the session renewed its token, problem+json errors as ApiError (never a bare string).
import { ApiError, networkProblem } from "./problem";
import { problemOf, session, type Session } from "./session";

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface CallOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  query?: Query;
  headers?: Record<string, string>;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}${path.includes("?") ? "&" : "?"}${text}` : path;
}

export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

export function createClient(owner: Session) {
  async function send(path: string, options: CallOptions): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
    const token = owner.accessToken;
    if (token) headers.Authorization = `Bearer ${token}`;
    try {
      return await fetch(withQuery(path, options.query), {
        method: options.method ?? "GET",
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        credentials: "same-origin",
        signal: options.signal,
      });
    } catch (error) {
      if ((error as Error)?.name === "AbortError") throw error;
      throw networkProblem(error);
    }
  }

  return async function call<T = unknown>(path: string, options: CallOptions = {}): Promise<T> {
    const hadToken = owner.accessToken !== null || owner.user !== null;
    let response = await send(path, options);
    if (response.status === 401 && hadToken) {
      if (await owner.refresh().catch(() => null)) response = await send(path, options);
    }
    if (!response.ok) throw await problemOf(response);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

export const api = createClient(session);
export { ApiError };
