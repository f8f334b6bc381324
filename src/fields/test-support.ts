import type { TestUser } from "../../test/helpers/factories.ts";
import type { Deps } from "../deps.ts";
import { createField, deleteField, type FieldInput, listFieldsForAdmin } from "./fields.service.ts";
import type { FieldDef } from "./values.ts";

/**
 * One field of each type (`product` shown to customers, `serial` required
 * before solving), in place of any fields an earlier test of the suite made:
 * fields apply to every ticket, so each test starts from its own.
 */
export async function makeFields(deps: Deps, admin: TestUser): Promise<Record<string, FieldDef>> {
  for (const field of await listFieldsForAdmin(deps, admin))
    await deleteField(deps, admin, field.id);
  const specs: FieldInput[] = [
    { name: "serial", label: "Serial number", type: "text", requiredToSolve: true },
    { name: "units", label: "Units", type: "number" },
    { name: "due", label: "Due", type: "date" },
    {
      name: "product",
      label: "Product",
      type: "choice",
      choices: "Printer\nScanner\nLaptop",
      customerVisible: true,
    },
    { name: "areas", label: "Areas", type: "choices", choices: ["Hardware", "Billing", "Network"] },
    { name: "vip", label: "VIP", type: "checkbox" },
  ];
  const out: Record<string, FieldDef> = {};
  for (const [i, spec] of specs.entries()) {
    const field = await createField(deps, admin, { ...spec, position: i * 10 });
    out[field.name] = field;
  }
  return out;
}
