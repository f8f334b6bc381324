export * from "./email.ts";
export * from "./mailboxes.ts";
export * from "./rules.ts";
export * from "./sla.ts";
export * from "./teams.ts";
export * from "./tickets.ts";
export * from "./users.ts";
export * from "./webhooks.ts";
