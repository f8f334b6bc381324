import Type, { type Static } from "typebox";
import { Email, Text } from "../lib/validate.ts";
import { ROLES } from "./actor.ts";
import { PASSWORD_MAX, PASSWORD_MIN } from "./passwords.ts";

const Password = Type.String({ minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX });
export const NAME_MAX = 200;
const Name = Text({ min: 1, max: NAME_MAX });
export const RoleSchema = Type.Enum([...ROLES]);

export const SignUpInput = Type.Object(
  { email: Email, name: Name, password: Password },
  { additionalProperties: false },
);
export type SignUpInput = Static<typeof SignUpInput>;

export const CreateUserInput = Type.Object(
  { email: Email, name: Name, role: RoleSchema, password: Type.Optional(Password) },
  { additionalProperties: false },
);
export type CreateUserInput = Static<typeof CreateUserInput>;

export const UpdateUserInput = Type.Object(
  {
    name: Type.Optional(Name),
    role: Type.Optional(RoleSchema),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type UpdateUserInput = Static<typeof UpdateUserInput>;

export const ChangePasswordInput = Type.Object(
  { currentPassword: Type.String({ maxLength: PASSWORD_MAX }), newPassword: Password },
  { additionalProperties: false },
);
export type ChangePasswordInput = Static<typeof ChangePasswordInput>;
