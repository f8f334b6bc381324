import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  checkTransition,
  isEditable,
  type Side,
  STATUSES,
  type Status,
  statusAfterReply,
} from "./lifecycle.ts";

const SIDES: Side[] = ["staff", "requester"];

describe("explicit status changes, every pair", () => {
  const expected = (from: Status, to: Status, side: Side): string | undefined => {
    if (from === "closed") return "closed_is_final";
    if (from === to) return undefined;
    if (side === "requester") return to === "solved" ? undefined : "not_allowed";
    return to === "new" ? "cannot_return_to_new" : undefined;
  };
  for (const side of SIDES) {
    for (const from of STATUSES) {
      for (const to of STATUSES) {
        const want = expected(from, to, side);
        test(`${side}: ${from} -> ${to} is ${want ?? "allowed"}`, () => {
          assert.equal(checkTransition(from, to, side), want);
        });
      }
    }
  }
  test("the table above is not vacuous: staff can close, requester cannot", () => {
    assert.equal(checkTransition("open", "closed", "staff"), undefined);
    assert.equal(checkTransition("open", "closed", "requester"), "not_allowed");
    assert.equal(checkTransition("closed", "open", "staff"), "closed_is_final");
  });
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
});
