import Type, { type Static } from "typebox";
import { Text } from "../lib/validate.ts";

export const TOKEN_NAME_MAX = 100;
/** Enough for every integration a person runs; more is a sign of tokens never revoked. */
export const TOKENS_PER_USER_MAX = 50;

export const CreateTokenInput = Type.Object(
  { name: Text({ min: 1, max: TOKEN_NAME_MAX }) },
  { additionalProperties: false },
);
export type CreateTokenInput = Static<typeof CreateTokenInput>;
