import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { createUser } from "../../src/accounts/accounts.service.ts";
import type { Actor, Role } from "../../src/accounts/index.ts";
import { tickets } from "../../src/db/schema/index.ts";
import type { Deps } from "../../src/deps.ts";
import type { Priority, Status } from "../../src/tickets/lifecycle.ts";
import { createTicket, type Ticket } from "../../src/tickets/tickets.service.ts";

export const PASSWORD = "correct horse battery";

export interface TestUser extends Actor {
  password: string;
}

/** A new account with a unique email; password is PASSWORD unless given. */
export async function makeUser(
  deps: Deps,
  options: { role?: Role; name?: string; email?: string; password?: string } = {},
): Promise<TestUser> {
  const role = options.role ?? "customer";
  const password = options.password ?? PASSWORD;
  const user = await createUser(deps, "system", {
    email: options.email ?? `${role}-${randomBytes(5).toString("hex")}@example.test`,
    name: options.name ?? `Test ${role}`,
    role,
    password,
  });
  return { id: user.id, email: user.email, name: user.name, role: user.role, password };
}

export const makeCustomer = (deps: Deps, options: Parameters<typeof makeUser>[1] = {}) =>
  makeUser(deps, { ...options, role: "customer" });
export const makeAgent = (deps: Deps, options: Parameters<typeof makeUser>[1] = {}) =>
  makeUser(deps, { ...options, role: "agent" });
export const makeAdmin = (deps: Deps, options: Parameters<typeof makeUser>[1] = {}) =>
  makeUser(deps, { ...options, role: "admin" });

/**
 * A ticket opened by `requester` through the real service; `status` and
 * `assigneeId` are then set directly, to build a world quickly.
 */
export async function makeTicket(
  deps: Deps,
  requester: Actor,
  options: {
    title?: string;
    description?: string;
    priority?: Priority;
    status?: Status;
    assigneeId?: number;
  } = {},
): Promise<Ticket> {
  const ticket = await createTicket(deps, requester, {
    title: options.title ?? "Printer on fire",
    description: options.description ?? "It is on fire again.",
    priority: options.priority ?? "normal",
  });
  if (options.status || options.assigneeId) {
    const [updated] = await deps.db
      .update(tickets)
      .set({
        ...(options.status ? { status: options.status } : {}),
        ...(options.assigneeId ? { assigneeId: options.assigneeId } : {}),
      })
      .where(eq(tickets.id, ticket.id))
      .returning();
    if (!updated) throw new Error("ticket vanished");
    return updated;
  }
  return ticket;
}
