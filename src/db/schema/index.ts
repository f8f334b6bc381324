export * from "./email.ts";
export * from "./tickets.ts";
export * from "./users.ts";
