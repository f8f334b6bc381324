import assert from "node:assert/strict";
import { test } from "node:test";
import { apiAs } from "../../test/helpers/api.ts";
import { makeAdmin, makeCustomer, makeTicket } from "../../test/helpers/factories.ts";
import { describeEachDatabase } from "../../test/helpers/world.ts";
import { getTicket } from "../tickets/tickets.service.ts";

/** Spellings of a number that TypeBox would read as that number, and must not. */
const NOT_DECIMAL = (n: number) => [
  `${n}.9`,
  `${n}.0`,
  `0x${n.toString(16)}`,
  `${n}e0`,
  `%20${n}`,
  `${n}%20`,
  `+${n}`,
  `0${n}`,
  `${n}n`,
];

describeEachDatabase("numbers in paths and queries are plain decimal digits or a 400", (world) => {
  test("a ticket id that is not plain digits changes nothing and names the parameter", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps);
    const ticket = await makeTicket(deps, customer);
    const api = await apiAs(world(), admin);
    for (const id of NOT_DECIMAL(ticket.id)) {
      const patched = await api.patch(`/tickets/${id}`, { priority: "urgent" });
      assert.equal(patched.status, 400, `PATCH /tickets/${id}`);
      assert.deepEqual(
        patched.body.errors.map((e: { field: string }) => e.field),
        ["id"],
        `PATCH /tickets/${id}`,
      );
      const note = await api.post(`/tickets/${id}/messages`, { content: "x", internal: true });
      assert.equal(note.status, 400, `POST /tickets/${id}/messages`);
      assert.equal((await api.get(`/tickets/${id}`)).status, 400, `GET /tickets/${id}`);
      assert.equal((await api.get(`/users/${id}`)).status, 400, `GET /users/${id}`);
    }
    const after = await getTicket(deps, admin, ticket.id);
    assert.equal(after.priority, "normal");
    assert.equal((await api.get(`/tickets/${ticket.id}/messages`)).body.data.length, 1);
    // The plain spelling still works.
    assert.equal((await api.get(`/tickets/${ticket.id}`)).status, 200);
    assert.equal((await api.patch(`/tickets/${ticket.id}`, { priority: "urgent" })).status, 200);
    assert.equal((await getTicket(deps, admin, ticket.id)).priority, "urgent");
  });

  test("limit and requesterId are plain digits within range, or a 400 naming them", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const customer = await makeCustomer(deps);
    await makeTicket(deps, customer);
    await makeTicket(deps, customer);
    const api = await apiAs(world(), admin);
    for (const limit of ["2.5", "0x2", "2e0", "%202", "true", "", "0", "101", "-1"]) {
      for (const path of ["/tickets", "/users"]) {
        const response = await api.get(`${path}?limit=${limit}`);
        assert.equal(response.status, 400, `${path}?limit=${limit}`);
        assert.deepEqual(
          response.body.errors.map((e: { field: string }) => e.field),
          ["limit"],
          `${path}?limit=${limit}`,
        );
      }
    }
    for (const requesterId of NOT_DECIMAL(customer.id)) {
      const response = await api.get(`/tickets?requesterId=${requesterId}`);
      assert.equal(response.status, 400, `requesterId=${requesterId}`);
      assert.match(response.body.errors[0].field, /^requesterId$/);
    }
    assert.equal((await api.get("/tickets?limit=1")).body.data.length, 1);
    const theirs = await api.get(`/tickets?requesterId=${customer.id}&limit=100`);
    assert.equal(theirs.status, 200);
    assert.equal(theirs.body.data.length, 2);
  });
});

describeEachDatabase("unknown query parameters", (world) => {
  test("are refused on every API route, named, whether or not the route takes a query", async () => {
    const { deps } = world();
    const admin = await makeAdmin(deps);
    const ticket = await makeTicket(deps, await makeCustomer(deps));
    const api = await apiAs(world(), admin);
    for (const path of [
      "/me",
      `/users/${admin.id}`,
      `/tickets/${ticket.id}`,
      `/tickets/${ticket.id}/messages`,
      `/tickets/${ticket.id}/events`,
      "/tickets",
      "/users",
    ]) {
      const response = await api.get(`${path}?limt=5`);
      assert.equal(response.status, 400, path);
      assert.deepEqual(response.body.errors, [{ field: "limt", message: "is not a known field" }]);
    }
    const patched = await api.patch(`/tickets/${ticket.id}?dryRun=true`, { priority: "urgent" });
    assert.equal(patched.status, 400);
    assert.equal((await getTicket(deps, admin, ticket.id)).priority, "normal");
  });
});
