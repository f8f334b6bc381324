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

// --- the API's shapes ---

export const MeJson = Type.Object(
  {
    id: Type.Integer({ minimum: 1 }),
    email: Type.String(),
    name: Type.String(),
    role: RoleSchema,
    away: Type.Boolean({ description: "Staff: marked away (PATCH /me)" }),
  },
  { $id: "Me" },
);

export const UserJson = Type.Object(
  {
    id: Type.Integer({ minimum: 1 }),
    email: Type.String(),
    name: Type.String(),
    role: RoleSchema,
    disabled: Type.Boolean(),
    hasPassword: Type.Boolean({ description: "False for accounts made from mail or by staff" }),
    createdAt: Type.String({ format: "date-time" }),
    updatedAt: Type.String({ format: "date-time" }),
  },
  { $id: "User" },
);

export const UserListQuery = Type.Object(
  {
    role: Type.Optional(RoleSchema),
    q: Type.Optional(Type.String({ maxLength: 200, description: "Part of a name or email" })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 25 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type UserListQuery = Static<typeof UserListQuery>;

export const ResetPasswordInput = Type.Object(
  { password: Password },
  { additionalProperties: false },
);
export type ResetPasswordInput = Static<typeof ResetPasswordInput>;

export const ForgotPasswordInput = Type.Object({ email: Email }, { additionalProperties: false });
export type ForgotPasswordInput = Static<typeof ForgotPasswordInput>;

export const SsoProviderInput = Type.Object(
  {
    /** Shown on the button: "Sign in with <name>". */
    name: Text({ min: 1, max: 100 }),
    issuer: Text({ min: 1, max: 2000 }),
    clientId: Text({ min: 1, max: 500 }),
    /** Empty: keep the stored one (or none, for a public client). */
    clientSecret: Type.Optional(Text({ max: 2000 })),
    /** Mail domains whose verified addresses get an agent account on first sign-in. */
    newStaffDomains: Type.Optional(Text({ max: 20_000 })),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type SsoProviderInput = Static<typeof SsoProviderInput>;
