import { GenericList } from "./GenericList";

export default function Taxes() {
  return <GenericList path="/api/v1/taxes/rates" titleKey="taxes.title" />;
}
