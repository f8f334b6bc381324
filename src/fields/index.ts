// What other features may use from fields.

export { FieldValuesInput } from "./fields.schemas.ts";
export { allFields, fieldDefinitions, fieldsFor } from "./fields.service.ts";
export {
  checkValues,
  containment,
  type FieldDef,
  type FieldValue,
  missingRequired,
  storedValue,
  typedValue,
  valuesByName,
  valueText,
} from "./values.ts";

import type { EventOf } from "../events/events.ts";
export type FieldChangedEvent = EventOf<"ticket.field_changed">;
