export * from "./email.ts";
export * from "./rules.ts";
export * from "./teams.ts";
export * from "./tickets.ts";
export * from "./users.ts";
