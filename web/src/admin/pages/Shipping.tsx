import { GenericList } from "./GenericList";

export default function Shipping() {
  return <GenericList path="/api/v1/shipping/zones" titleKey="shipping.title" />;
}
