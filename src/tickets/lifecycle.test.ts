import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ACTIVE_STATUSES,
  checkTransition,
  isEditable,
  REFUSAL_MESSAGES,
  type Side,
  STATUSES,
  type Status,
  statusAfterReply,
} from "./lifecycle.ts";

const SIDES: Side[] = ["staff", "requester"];

// Written out by hand from DESIGN.md section 4, not derived from the code:
// ok = allowed, F = closed_is_final, N = not_allowed, R = cannot_return_to_new.
// Rows are "from", columns "to", both in the order new open pending solved closed.
const TABLE: Record<Side, Record<Status, string>> = {
  staff: {
    new: "ok ok ok ok ok",
    open: "R ok ok ok ok",
    pending: "R ok ok ok ok",
    solved: "R ok ok ok ok",
    closed: "F F F F F",
  },
  requester: {
    new: "ok N N ok N",
    open: "N ok N ok N",
    pending: "N N ok ok N",
    solved: "N N N ok N",
    closed: "F F F F F",
  },
};
const CODES: Record<string, string | undefined> = {
  ok: undefined,
  F: "closed_is_final",
  N: "not_allowed",
  R: "cannot_return_to_new",
};

describe("explicit status changes, every pair", () => {
  for (const side of SIDES) {
    for (const from of STATUSES) {
      const row = TABLE[side][from].split(" ");
      STATUSES.forEach((to, column) => {
        const code = row[column] ?? "";
        const want = CODES[code];
        test(`${side}: ${from} -> ${to} is ${want ?? "allowed"}`, () => {
          assert.ok(Object.hasOwn(CODES, code), `table cell "${code}"`);
          assert.equal(checkTransition(from, to, side), want);
        });
      });
    }
  }
});

describe("status after a reply", () => {
  const cases: [Status, Side, boolean, boolean, Status][] = [
    // current, side, internal, waitOnCustomer, expected
    ["new", "staff", false, false, "open"],
    ["new", "staff", false, true, "pending"],
    ["new", "staff", true, false, "new"],
    ["new", "staff", true, true, "new"],
    ["open", "staff", false, false, "open"],
    ["open", "staff", false, true, "pending"],
    ["open", "staff", true, false, "open"],
    ["pending", "staff", false, false, "pending"],
    ["pending", "staff", false, true, "pending"],
    ["pending", "staff", true, false, "pending"],
    ["solved", "staff", false, false, "solved"],
    ["solved", "staff", false, true, "pending"],
    ["solved", "staff", true, false, "solved"],
    ["new", "requester", false, false, "new"],
    ["open", "requester", false, false, "open"],
    ["pending", "requester", false, false, "open"],
    ["solved", "requester", false, false, "open"],
    ["closed", "requester", false, false, "closed"],
    ["closed", "staff", false, false, "closed"],
  ];
  for (const [current, side, internal, wait, want] of cases) {
    test(`${side} ${internal ? "note" : wait ? "reply-and-wait" : "reply"} on ${current} -> ${want}`, () => {
      assert.equal(statusAfterReply(current, { side, internal, waitOnCustomer: wait }), want);
    });
  }
  test("only closed tickets are not editable", () => {
    assert.deepEqual(
      STATUSES.filter((s) => !isEditable(s)),
      ["closed"],
    );
  });
  test("nothing a reply does opens a closed ticket again (a follow-up is opened instead)", () => {
    for (const side of SIDES) {
      for (const waitOnCustomer of [false, true]) {
        assert.equal(
          statusAfterReply("closed", { side, internal: false, waitOnCustomer }),
          "closed",
        );
      }
    }
  });
});

test("the open queues hold exactly the tickets that still need work", () => {
  assert.deepEqual(ACTIVE_STATUSES, ["new", "open", "pending"]);
});

test("each refusal has its own message for the person refused", () => {
  assert.deepEqual(REFUSAL_MESSAGES, {
    closed_is_final: "This ticket is closed; reply to it to open a follow-up.",
    not_allowed: "You can only mark your own ticket as solved.",
    cannot_return_to_new: "A ticket cannot go back to new.",
  });
});
