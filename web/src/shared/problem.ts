// The API's errors (application/problem+json): {type, title, status, detail, request_id, errors?}.
// ApiError keeps them whole so a page can show the message in the person's language (describe())
// next to the field each one concerns.

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  request_id?: string;
  errors?: Record<string, string[] | Record<string, unknown>>;
  [extra: string]: unknown;
}

export class ApiError extends Error {
  readonly problem: Problem;
  readonly retryAfter: number | null;

  constructor(problem: Problem, retryAfter: number | null = null) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
    this.name = "ApiError";
    this.problem = problem;
    this.retryAfter = retryAfter;
  }

  get status(): number {
    return this.problem.status;
  }

  /** The last path segment of `type` (".../problems/quote-changed" → "quote-changed"), or "http-<status>". */
  get slug(): string {
    const type = this.problem.type ?? "";
    const last = type.split("/").filter(Boolean).pop();
    return last && last !== "about:blank" ? last : `http-${this.status}`;
  }

  /** Field → messages, flattened: nested errors ({"items": {"0": {"quantity": [...]}}}) become "items.0.quantity". */
  get fieldErrors(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    const walk = (value: unknown, path: string) => {
      if (Array.isArray(value) && value.every((v) => typeof v === "string")) out[path] = value as string[];
      else if (Array.isArray(value)) value.forEach((v, i) => walk(v, path ? `${path}.${i}` : String(i)));
      else if (value && typeof value === "object")
        for (const [key, v] of Object.entries(value)) walk(v, path ? `${path}.${key}` : key);
      else if (typeof value === "string") out[path] = [value];
    };
    walk(this.problem.errors ?? {}, "");
    return out;
  }
}

export function networkProblem(error: unknown): ApiError {
  return new ApiError({ type: "network-error", title: "Network error", status: 0, detail: String(error) });
}
