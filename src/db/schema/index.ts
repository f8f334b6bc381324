export * from "./email.ts";
export * from "./mailboxes.ts";
export * from "./rules.ts";
export * from "./tickets.ts";
export * from "./users.ts";
