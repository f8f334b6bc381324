import assert from "node:assert/strict";
import { test } from "node:test";
import type { LightMyRequestResponse } from "fastify";
import { createToken } from "../../src/tokens/tokens.service.ts";
import type { Browser } from "../helpers/browser.ts";
import { makeAdmin, makeAgent, makeCustomer } from "../helpers/factories.ts";
import { describeEachDatabase } from "../helpers/world.ts";
import { header, liveContent, visibleText } from "./support.ts";

/** Appears in every payload, so a test can tell the payload was shown (as text). */
const MARK = "XSSMARK";

// Short payloads (titles and names are capped at 200 characters).
const TITLE = `${MARK} <script>window.__xss=1</script><img src=x onerror=window.__xss=1>"><svg onload=window.__xss=1>`;
const NAME = `${MARK} <img src=x onerror=window.__xss=2>'"><b onmouseover=window.__xss=2>`;
const FILE_NAME = `${MARK}"><svg onload=window.__xss=3>.svg`;

/** A message body: raw HTML, htmx attributes and every way Markdown can make a link. */
const BODY = [
  `${MARK} body`,
  "<script>window.__xss=4</script>",
  "<img src=x onerror=window.__xss=4>",
  "<svg><script>window.__xss=4</script></svg>",
  '<iframe srcdoc="<script>parent.__xss=4</script>"></iframe>',
  `<div hx-get="/${MARK}" hx-trigger="load">htmx</div>`,
  `<a href="javascript:window.__xss=4">${MARK} raw link</a>`,
  "[md link](javascript:window.__xss=4)",
  "[mixed case](JaVaScRiPt:window.__xss=4)",
  "[entity](&#106;avascript:window.__xss=4)",
  "[tab](java&#x09;script:window.__xss=4)",
  "[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9NDwvc2NyaXB0Pg==)",
  "[vb](vbscript:msgbox(1))",
  "![image](javascript:window.__xss=4)",
  "<javascript:window.__xss=4>",
  "[reference][evil]",
  "",
  "[evil]: javascript:window.__xss=4",
  "",
  'a plain javascript:window.__xss=4 and "quotes" & <b>tags</b>',
].join("\n");

describeEachDatabase(
  "stored and reflected XSS: every page shows payloads as inert text",
  (world) => {
    /** A page's status, and that it holds nothing live while showing the payload as text. */
    function assertInert(
      label: string,
      response: LightMyRequestResponse,
      expected: { status: number; showsMark?: boolean },
    ): void {
      assert.equal(response.statusCode, expected.status, `${label}: status`);
      assert.match(header(response, "content-type"), /^text\/html/, `${label}: an HTML page`);
      assert.deepEqual(liveContent(response.body, MARK), [], `${label}: live content`);
      if (expected.showsMark ?? true) {
        assert.ok(
          visibleText(response.body).includes(MARK) || response.body.includes(MARK),
          `${label}: the payload is not on the page at all, so the check above proves nothing`,
        );
      }
    }

    let customer: Browser;
    let agent: Browser;
    let admin: Browser;
    let ticketId: number;

    test("payloads are stored through the real forms", async () => {
      const { deps } = world();
      customer = await world().signedIn(await makeCustomer(deps, { name: NAME }));
      const agentUser = await makeAgent(deps, { name: `Agent ${NAME}` });
      agent = await world().signedIn(agentUser);
      admin = await world().signedIn(await makeAdmin(deps));
      const created = await customer.postMultipart(
        "/tickets",
        { title: TITLE, description: BODY },
        [
          { field: "attachments", filename: FILE_NAME, content: "<svg/>", type: "image/svg+xml" },
          {
            field: "attachments",
            filename: `${MARK}<img src=x onerror=window.__xss=3>.html`,
            content: "<script>window.__xss=3</script>",
            type: "text/html",
          },
        ],
        { csrfFrom: "/tickets/new" },
      );
      assert.equal(created.statusCode, 303);
      ticketId = Number(/\/tickets\/(\d+)/.exec(String(created.headers.location))?.[1]);
      assert.ok(ticketId > 0);
      assert.equal(
        (await agent.post(`/tickets/${ticketId}/replies`, { content: `Agent reply ${BODY}` }))
          .statusCode,
        303,
      );
      assert.equal(
        (
          await agent.post(`/tickets/${ticketId}/replies`, {
            content: `Note ${BODY}`,
            internal: "true",
          })
        ).statusCode,
        303,
      );
      // The agent takes the ticket: the assignee's name appears on the page and in its events.
      assert.equal(
        (
          await agent.post(`/tickets/${ticketId}`, {
            assigneeId: String(agentUser.id),
            assigneeIdWas: "",
          })
        ).statusCode,
        303,
      );
    });

    test("the customer's pages: my tickets, the ticket, account, error pages", async () => {
      assertInert("my tickets", await customer.get("/tickets"), { status: 200 });
      const ticket = await customer.get(`/tickets/${ticketId}`);
      assertInert("ticket page (customer)", ticket, { status: 200 });
      assert.match(visibleText(ticket.body), /window\.__xss=4/, "the body is shown as text");
      // (Multipart sends `"` in a file name as %22; `<` and `>`, which Windows refuses in
      // file names, are stored as `_`.)
      assert.ok(
        visibleText(ticket.body).includes("_svg onload=window.__xss=3_.svg"),
        "the file name is shown as text",
      );
      assertInert("account", await customer.get("/account"), { status: 200 });
      assertInert("404 page", await customer.get("/no/such/page"), { status: 404 });
      assertInert("another ticket's 404", await customer.get("/tickets/999999"), { status: 404 });
      // Forms shown again with what was typed.
      const tooLong = await customer.post(`/tickets/${ticketId}/replies`, {
        content: `${BODY}${"x".repeat(70_000)}`,
      });
      assertInert("reply form shown again", tooLong, { status: 422 });
      const badTicket = await customer.post(
        "/tickets",
        { title: `${TITLE}${"y".repeat(200)}`, description: BODY },
        { csrfFrom: "/tickets/new" },
      );
      assertInert("new ticket form shown again", badTicket, { status: 422 });
    });

    test("staff pages: the desk, the ticket with notes and events, the users list", async () => {
      assertInert("desk", await agent.get("/desk?queue=mine"), { status: 200 });
      assertInert("desk, all open", await agent.get("/desk?queue=open"), { status: 200 });
      const ticket = await agent.get(`/tickets/${ticketId}`);
      assertInert("ticket page (agent)", ticket, { status: 200 });
      assert.match(visibleText(ticket.body), /Note XSSMARK body/, "the internal note is shown");
      assert.match(visibleText(ticket.body), /assigned it to Agent XSSMARK/, "the event is shown");
      assertInert("users list", await admin.get("/admin/users"), { status: 200 });
      assertInert("users list, searched", await admin.get(`/admin/users?q=${MARK}`), {
        status: 200,
      });
    });

    test("reflected input: filters, next=, and forms shown again with errors", async () => {
      const reflected = encodeURIComponent(`${MARK}"><script>window.__xss=5</script>`);
      assertInert("desk requester filter", await agent.get(`/desk?requester=${reflected}`), {
        status: 200,
      });
      assertInert("users search", await admin.get(`/admin/users?q=${reflected}`), { status: 200 });
      const anonymous = world().browser();
      assertInert("sign-in page next=", await anonymous.get(`/login?next=/${reflected}`), {
        status: 200,
      });
      assertInert(
        "sign-in refused",
        await anonymous.post("/login", { email: `${MARK}<svg onload=alert(1)>`, password: "x" }),
        { status: 401 },
      );
      assertInert(
        "sign-up refused",
        await anonymous.post("/signup", { email: "bad", name: NAME, password: "x" }),
        { status: 422 },
      );
      assertInert(
        "new user refused",
        await admin.post(
          "/admin/users",
          { email: "bad", name: NAME, role: "agent", password: "x" },
          { csrfFrom: "/admin/users/new" },
        ),
        { status: 422 },
      );
    });

    test("the checker itself finds live content (so a pass above means something)", () => {
      const live = [
        `<p>${MARK}<script>x()</script></p>`,
        `<img src=x onerror=alert(1)>${MARK}`,
        `<a href=" java\tscript:alert(1)">${MARK}</a>`,
        `<svg><a xlink:href="javascript:alert(1)">${MARK}</a></svg>`,
        `<div hx-get="/${MARK}" hx-trigger="load"></div>`,
        `<p style="background:url(x)">${MARK}</p>`,
        `<iframe srcdoc="x"></iframe>${MARK}`,
        `<base href="https://evil.test/">${MARK}`,
      ];
      for (const html of live) assert.notDeepEqual(liveContent(html, MARK), [], html);
      assert.deepEqual(
        liveContent(`<p>&lt;script&gt;${MARK}</p><a href="/tickets/1">x</a>`, MARK),
        [],
      );
    });

    test("mail: a hostile sender name, subject, HTML body and attachment name are inert", async () => {
      const { deps } = world();
      const adminUser = await makeAdmin(deps);
      const token = (await createToken(deps, adminUser, { name: "mail" })).token;
      const raw = [
        `From: "${MARK} <img src=x onerror=window.__xss=6>" <mallory-${Date.now()}@example.test>`,
        "To: help@example.test",
        `Subject: ${MARK} <script>window.__xss=6</script><svg onload=window.__xss=6>`,
        `Message-ID: <xss-${Date.now()}@example.test>`,
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b1"',
        "",
        "--b1",
        "Content-Type: text/html; charset=utf-8",
        "",
        `<p>${MARK} html body</p><script>window.__xss=6</script><img src=x onerror="window.__xss=6">` +
          `<a href="javascript:window.__xss=6">link</a><div hx-get="/${MARK}" hx-trigger="load">x</div>`,
        "--b1",
        `Content-Type: text/html; name="${MARK}<svg onload=window.__xss=7>.html"`,
        `Content-Disposition: attachment; filename="${MARK}<svg onload=window.__xss=7>.html"`,
        "",
        "<script>window.__xss=7</script>",
        "--b1--",
        "",
      ].join("\r\n");
      const handed = await world().app.inject({
        method: "POST",
        url: "/api/v1/inbound/email",
        headers: { authorization: `Bearer ${token}`, "content-type": "message/rfc822" },
        payload: raw,
      });
      assert.equal(handed.statusCode, 202, handed.body);
      const { ticketId, id } = handed.json() as { ticketId: number | null; id: number };
      assert.ok(ticketId, `the mail opened a ticket: ${handed.body}`);
      const admin = await world().signedIn(adminUser);
      assertInert("ticket from mail", await admin.get(`/tickets/${ticketId}`), { status: 200 });
      assertInert("desk", await admin.get("/desk?queue=open"), { status: 200 });
      assertInert("users", await admin.get(`/admin/users?q=${MARK}`), { status: 200 });
      assertInert("inbound mail list", await admin.get("/admin/email?tab=inbound"), {
        status: 200,
      });
      assertInert("inbound mail", await admin.get(`/admin/email/inbound/${id}`), { status: 200 });
      const original = await admin.get(`/admin/email/inbound/${id}/raw`);
      assert.equal(original.statusCode, 200);
      assert.doesNotMatch(header(original, "content-type"), /html|xml|javascript/);
      assert.equal(header(original, "x-content-type-options"), "nosniff");
      assert.match(header(original, "content-disposition"), /^attachment/);
    });
  },
);
