// A read-only table of a list endpoint's items (shipping zones, tax rates, promotion codes).
import { useTranslation } from "react-i18next";
import { api } from "../../shared/api";
import { ErrorAlert, Loading, useLoad } from "../ui";

function cell(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function GenericList({ path, titleKey }: { path: string; titleKey: string }) {
  const { t } = useTranslation();
  const { data, error, loading } = useLoad((signal) => api<{ items: Record<string, unknown>[] }>(path, { signal }), [path]);
  const items = data?.items ?? [];
  const columns = [...new Set(items.flatMap((item) => Object.keys(item)))];
  return (
    <>
      <h1>{t(titleKey)}</h1>
      <p className="muted">{t("read_only_list")}</p>
      <ErrorAlert error={error} />
      <Loading when={loading} />
      {items.length > 0 ? (
        <div className="scroll" tabIndex={0} role="region" aria-label={t(titleKey)}>
          <table>
            <caption className="visually-hidden">{t(titleKey)}</caption>
            <thead>
              <tr>
                {columns.map((column) => (
                  <th key={column} scope="col">
                    <code>{column}</code>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {items.map((item, index) => (
                <tr key={index}>
                  {columns.map((column) => (
                    <td key={column}>
                      <span className="cell">{cell(item[column])}</span>
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : data ? (
        <p className="muted">{t("empty")}</p>
      ) : null}
    </>
  );
}
