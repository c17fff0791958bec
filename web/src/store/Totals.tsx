// A quote's figures as the server sent them (never computed here): subtotal, discount, shipping, tax, total.
import { useTranslation } from "react-i18next";
import type { Quote, Warning } from "./cart";
import { useStore } from "./context";
import { Price } from "./ui";

function percent(rate: string, locale: string): string {
  // the rate is a decimal string ("0.19"); show it as a percentage without float money arithmetic
  return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 3 }).format(Number(rate));
}

export function Totals({ quote, totalTestId = "total" }: { quote: Quote; totalTestId?: string }) {
  const { t } = useTranslation();
  const { locale } = useStore();
  return (
    <>
      <dl className="totals">
        <div>
          <dt>{t("totals.subtotal")}</dt>
          <dd>
            <Price money={quote.subtotal} testId="subtotal" />
          </dd>
        </div>
        <div>
          <dt>{t("totals.discount")}</dt>
          <dd>
            <Price money={quote.discount_total} testId="discount-total" />
          </dd>
        </div>
        <div>
          <dt>{t("totals.shipping")}</dt>
          <dd>
            <Price money={quote.shipping_total} testId="shipping-total" />
          </dd>
        </div>
        <div>
          <dt>{quote.tax_included ? t("totals.taxIncluded") : t("totals.tax")}</dt>
          <dd>
            <Price money={quote.tax_total} testId="tax-total" />
          </dd>
        </div>
        {(quote.taxes ?? []).map((tax) => (
          <div key={`${tax.name}-${tax.rate}`} className="tax-line" data-testid="tax-line">
            <dt>{t("totals.taxLine", { name: tax.name, rate: percent(tax.rate, locale) })}</dt>
            <dd>
              <Price money={tax.amount} />
            </dd>
          </div>
        ))}
        <div className="grand">
          <dt>{t("totals.total")}</dt>
          <dd>
            <Price money={quote.total} testId={totalTestId} />
          </dd>
        </div>
      </dl>
      {quote.tax_included && <p className="muted note">{t("totals.includedNote")}</p>}
    </>
  );
}

export function Warnings({ warnings }: { warnings?: (Warning | string)[] }) {
  const { t } = useTranslation();
  if (!warnings?.length) return null;
  return (
    <ul className="warnings" aria-label={t("warnings.title")}>
      {warnings.map((warning, index) => {
        const w = typeof warning === "string" ? { code: warning } : warning;
        const code = String(w.code ?? w.type ?? "other");
        return (
          <li key={index} data-testid="warning" data-code={code} className="warning">
            {t(`warnings.${code}`, {
              defaultValue: t("warnings.other", { detail: String(w.message ?? code) }),
              available: Number(w.available ?? 0),
              code: String(w.promotion_code ?? ""),
            })}
          </li>
        );
      })}
    </ul>
  );
}
