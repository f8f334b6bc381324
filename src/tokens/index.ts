// What other features may use from tokens.

export { type ApiToken, resolveToken } from "./tokens.service.ts";
