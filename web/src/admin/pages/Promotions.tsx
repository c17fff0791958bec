import { GenericList } from "./GenericList";

export default function Promotions() {
  return <GenericList path="/api/v1/promotions" titleKey="promotions.title" />;
}
