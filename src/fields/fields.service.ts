import { type Actor, isAdmin, isStaff } from "../accounts/index.ts";
import type { Db, Executor } from "../db/client.ts";
import { FIELD_TYPES, type FieldType } from "../db/schema/fields.ts";
import { Watched } from "../db/watched.ts";
import type { Deps } from "../deps.ts";
import {
  type FieldError,
  Forbidden,
  fieldProblem,
  Invalid,
  NotFound,
  Taken,
} from "../lib/errors.ts";
import * as repo from "./fields.repo.ts";
import {
  FIELD_CHOICE_MAX,
  FIELD_CHOICES_MAX,
  FIELD_LABEL_MAX,
  FIELD_NAME,
  FIELDS_MAX,
} from "./fields.schemas.ts";
import type { FieldDef } from "./values.ts";

/**
 * Custom ticket fields: admins define them here; a ticket's values are the
 * ticket's business (tickets.service `setFields`, with events and the audit
 * trail). Definitions are a small table every ticket page and write reads, so
 * each node keeps them in memory (db/watched.ts).
 */
export const fieldDefinitions = new Watched("tessera_fields", repo.listFields);

/** Every field, disabled ones too, in page order (from memory on a server). */
export function allFields(db: Db, tx: Executor = db): Promise<FieldDef[]> {
  return fieldDefinitions.get(db, tx);
}

/**
 * The enabled fields `actor` sees: staff every one, customers those shown to
 * customers.
 */
export async function fieldsFor(db: Db, actor: Actor, tx: Executor = db): Promise<FieldDef[]> {
  const all = await allFields(db, tx);
  const staff = isStaff(actor);
  return all.filter((f) => !f.disabled && (staff || f.customerVisible));
}

function requireAdmin(actor: Actor): void {
  if (!isAdmin(actor))
    throw new Forbidden("Only admins manage ticket fields.", "error.fields.onlyAdmins");
}

/** What an admin sends to define a field (forms send strings; the service checks it all). */
export interface FieldInput {
  name?: string | undefined;
  label?: string | undefined;
  type?: string | undefined;
  /** One choice a line, or a list. */
  choices?: string | readonly string[] | undefined;
  customerVisible?: boolean | undefined;
  requiredToSolve?: boolean | undefined;
  position?: number | string | undefined;
  disabled?: boolean | undefined;
}

function checkDefinition(input: FieldInput, type: FieldType, creating: boolean) {
  const errors: FieldError[] = [];
  const label = (input.label ?? "").trim();
  if (label === "") errors.push(fieldProblem("label", "is required", "error.field.required"));
  else if ([...label].length > FIELD_LABEL_MAX)
    errors.push(
      fieldProblem(
        "label",
        `must be at most ${FIELD_LABEL_MAX} characters`,
        "error.field.maxLength",
        {
          max: FIELD_LABEL_MAX,
        },
      ),
    );
  const list =
    typeof input.choices === "string" ? input.choices.split(/\r?\n/) : [...(input.choices ?? [])];
  const choices: string[] = [];
  for (const raw of list) {
    const c = raw.trim();
    if (c === "" || choices.some((d) => d.toLowerCase() === c.toLowerCase())) continue;
    choices.push(c);
  }
  const choosing = type === "choice" || type === "choices";
  if (choosing && choices.length === 0)
    errors.push(fieldProblem("choices", "needs at least one choice", "error.fields.noChoices"));
  if (choices.length > FIELD_CHOICES_MAX || choices.some((c) => [...c].length > FIELD_CHOICE_MAX))
    errors.push(
      fieldProblem(
        "choices",
        `at most ${FIELD_CHOICES_MAX} choices of at most ${FIELD_CHOICE_MAX} characters`,
        "error.fields.choicesTooMany",
        { max: FIELD_CHOICES_MAX, length: FIELD_CHOICE_MAX },
      ),
    );
  const position =
    input.position === undefined || input.position === "" ? 0 : Number(input.position);
  if (!Number.isInteger(position) || position < 0 || position > 10000)
    errors.push(
      fieldProblem("position", "must be a whole number from 0 to 10000", "error.fields.position"),
    );
  if (creating) {
    const name = input.name ?? "";
    if (!FIELD_NAME.test(name.trim().toLowerCase()))
      errors.push(
        fieldProblem(
          "name",
          "must start with a letter and hold only letters, digits and _ (at most 40)",
          "error.fields.name",
        ),
      );
  }
  if (errors.length > 0) throw new Invalid(errors);
  return {
    label,
    choices: choosing ? choices : [],
    position,
    customerVisible: input.customerVisible ?? false,
    requiredToSolve: input.requiredToSolve ?? false,
    disabled: input.disabled ?? false,
  };
}

/**
 * Defines a field (admins). Its name is its key, unique whatever its case,
 * and never changes (the API, saved searches and rules use it); its type
 * neither (stored values keep their shape).
 */
export async function createField(deps: Deps, actor: Actor, input: FieldInput): Promise<FieldDef> {
  requireAdmin(actor);
  const type = FIELD_TYPES.find((t) => t === input.type);
  if (!type)
    throw Invalid.field("type", `must be one of: ${FIELD_TYPES.join(", ")}`, "error.fields.type");
  const checked = checkDefinition(input, type, true);
  const name = (input.name ?? "").trim().toLowerCase();
  return fieldDefinitions.change(deps.db, async (tx) => {
    if (await repo.findFieldByName(tx, name))
      throw new Taken("name", "is another field's name", "error.fields.nameTaken");
    if ((await repo.listFields(tx)).length >= FIELDS_MAX)
      throw Invalid.field("name", `at most ${FIELDS_MAX} fields`, "error.fields.tooMany", {
        max: FIELDS_MAX,
      });
    return repo.insertField(tx, { name, type, ...checked });
  });
}

/**
 * Changes a field's label, choices, options, position, or disables it
 * (admins). A disabled field is hidden everywhere and cannot be set, its values
 * kept: enabling it again shows them. A choice taken out of the list stays on
 * the tickets that have it until they are changed.
 */
export async function updateField(
  deps: Deps,
  actor: Actor,
  id: number,
  input: FieldInput,
): Promise<FieldDef> {
  requireAdmin(actor);
  return fieldDefinitions.change(deps.db, async (tx) => {
    const current = (await repo.listFields(tx)).find((f) => f.id === id);
    if (!current) throw new NotFound("field", id);
    const checked = checkDefinition(input, current.type, false);
    const row = await repo.updateField(tx, id, checked);
    if (!row) throw new NotFound("field", id);
    return row;
  });
}

/** Deletes a field (admins): every ticket's value of it goes too, and the audit trail keeps its past. */
export async function deleteField(deps: Deps, actor: Actor, id: number): Promise<void> {
  requireAdmin(actor);
  await fieldDefinitions.change(deps.db, async (tx) => {
    if (!(await repo.deleteField(tx, id))) throw new NotFound("field", id);
  });
}

/** Every field with its settings (admins: the Fields page). */
export async function listFieldsForAdmin(deps: Deps, actor: Actor): Promise<FieldDef[]> {
  requireAdmin(actor);
  return repo.listFields(deps.db);
}
