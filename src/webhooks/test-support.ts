/** A ticket and an agent as domain events carry them, for tests of the public webhook events. */
export const EVENT_TICKET = {
  id: 7,
  title: "T",
  description: "D",
  status: "open" as const,
  priority: "normal" as const,
  channel: "web" as const,
  requesterId: 1,
  assigneeId: null,
  teamId: null,
  followUpOf: null,
  createdAt: new Date(0),
  updatedAt: new Date(0),
};
export const EVENT_ACTOR = { id: 3, email: "a@example.test", name: "A", role: "agent" as const };
