import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";
import { parse as parseContentDisposition } from "content-disposition";
import type { Browser } from "../helpers/browser.ts";
import { makeAgent, makeCustomer, makeTicket } from "../helpers/factories.ts";
import { describeEachDatabase } from "../helpers/world.ts";
import { cookieHeader, header } from "./support.ts";

/** Types a browser would run or render as active content if it were served inline. */
const ACTIVE_TYPES =
  /html|svg|xml|javascript|ecmascript|css|x-shockwave|x-sh\b|text\/(?!plain)|multipart|message/i;

interface Streamed {
  /** The status line of the answer, if one arrived. */
  status: string | undefined;
  /** Body bytes written before the answer arrived or the connection was cut. */
  sentBeforeAnswer: number;
  /** Whether the whole body was written (it should not have been). */
  finished: boolean;
}

/**
 * Sends a request to a listening server over a raw socket: `head` first, then
 * `total` body bytes in chunks, stopping as soon as the server answers or hangs up.
 */
function streamUpload(
  port: number,
  head: string,
  preamble: Buffer,
  total: number,
  chunked = false,
): Promise<Streamed> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let sent = 0;
    let answer = "";
    let answeredAt: number | undefined;
    let done = false;
    const finish = (finished: boolean) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({
        status: /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1],
        sentBeforeAnswer: answeredAt ?? sent,
        finished,
      });
    };
    let stop: () => void = () => {};
    const stopped = new Promise<void>((r) => {
      stop = r;
    });
    socket.on("data", (chunk) => {
      stop();
      answer += chunk.toString("latin1");
      answeredAt ??= sent;
      // Give the server a moment to finish its answer, then stop.
      setTimeout(() => finish(false), 50);
    });
    socket.on("error", () => {
      stop();
      finish(false);
    });
    socket.on("close", () => {
      stop();
      finish(false);
    });
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    const write = (data: Buffer): boolean =>
      chunked
        ? socket.write(
            Buffer.concat([
              Buffer.from(`${data.length.toString(16)}\r\n`),
              data,
              Buffer.from("\r\n"),
            ]),
          )
        : socket.write(data);
    socket.on("connect", async () => {
      socket.write(head);
      if (preamble.length > 0) write(preamble);
      while (sent < total && !done && answeredAt === undefined) {
        const ok = write(chunk);
        sent += chunk.length;
        // A server that stopped reading never drains: stop waiting when it answers or hangs up.
        if (!ok) await Promise.race([new Promise((r) => socket.once("drain", r)), stopped]);
        // A real client on a real network is slower than loopback: yield now and then.
        await new Promise((r) => setImmediate(r));
      }
      if (!done && answeredAt === undefined && sent >= total) {
        setTimeout(() => finish(true), 2000);
      }
    });
  });
}

describeEachDatabase("uploads: dangerous files are downloads, size limits hold", (world) => {
  test("a download is saved under the uploaded name, cleaned, whatever characters it has", async () => {
    const { deps } = world();
    const owner = await makeCustomer(deps);
    const customer = await world().signedIn(owner);
    const ticket = await makeTicket(deps, owner);
    // As uploaded -> as saved by the browser that downloads it.
    const names = [
      ["it's 100% (final).pdf", "it's 100% (final).pdf"],
      ["what?*.pdf", "what__.pdf"],
      ["Zürich Rechnung 漢字 😀.pdf", "Zürich Rechnung 漢字 😀.pdf"],
      ["nul.txt", "_nul.txt"],
      ["invoice\u202Egpj.exe", "invoicegpj.exe"],
    ];
    const upload = await customer.postMultipart(
      `/tickets/${ticket.id}/replies`,
      { content: "names" },
      names.map(([filename]) => ({
        field: "attachments",
        filename: filename as string,
        type: "application/pdf",
        content: "x",
      })),
      { csrfFrom: `/tickets/${ticket.id}` },
    );
    assert.equal(upload.statusCode, 303);
    const page = await customer.get(`/tickets/${ticket.id}`);
    const ids = [...page.body.matchAll(/href="\/attachments\/(\d+)"/g)].map((m) => m[1]);
    assert.equal(ids.length, names.length);
    const saved = [];
    for (const id of ids) {
      const disposition = parseContentDisposition(
        header(await customer.get(`/attachments/${id}`), "content-disposition"),
      );
      assert.equal(disposition.type, "attachment");
      saved.push(disposition.parameters.filename);
    }
    assert.deepEqual(saved.sort(), names.map(([, cleaned]) => cleaned).sort());
  });

  test("HTML, SVG, JavaScript and liars are served as inert downloads with nosniff", async () => {
    const { deps } = world();
    const owner = await makeCustomer(deps);
    const customer = await world().signedIn(owner);
    const agent = await world().signedIn(await makeAgent(deps));
    const ticket = await makeTicket(deps, owner);
    const files = [
      { filename: "page.html", type: "text/html", content: "<script>alert(1)</script>" },
      { filename: "image.svg", type: "image/svg+xml", content: "<svg onload=alert(1)/>" },
      { filename: "code.js", type: "application/javascript", content: "alert(1)" },
      { filename: "page.xhtml", type: "application/xhtml+xml", content: "<html/>" },
      { filename: "style.css", type: "text/css", content: "body{}" },
      // Says it is a picture; is HTML. nosniff keeps the browser from finding out.
      { filename: "photo.png", type: "image/png", content: "<html><script>alert(1)</script>" },
      { filename: "notes.txt", type: "text/html; charset=utf-8", content: "<script>x</script>" },
    ];
    const upload = await customer.postMultipart(
      `/tickets/${ticket.id}/replies`,
      { content: "files" },
      files.map((f) => ({ field: "attachments", ...f })),
      { csrfFrom: `/tickets/${ticket.id}` },
    );
    assert.equal(upload.statusCode, 303);
    const page = await customer.get(`/tickets/${ticket.id}`);
    const ids = [...page.body.matchAll(/href="\/attachments\/(\d+)"/g)].map((m) => m[1]);
    assert.equal(ids.length, files.length);
    for (const viewer of [customer, agent] as Browser[]) {
      for (const id of ids) {
        const response = await viewer.get(`/attachments/${id}`);
        const label = `attachment ${id}`;
        assert.equal(response.statusCode, 200, label);
        assert.doesNotMatch(header(response, "content-type"), ACTIVE_TYPES, label);
        assert.match(header(response, "content-disposition"), /^attachment;/, label);
        assert.equal(header(response, "x-content-type-options"), "nosniff", label);
        assert.match(header(response, "content-security-policy"), /sandbox/, label);
        assert.match(header(response, "cache-control"), /no-store/, label);
        // htmx asking for a file gets a navigation, never HTML to swap into the page.
        const swapped = await viewer.get(`/attachments/${id}`, { "hx-request": "true" });
        assert.equal(swapped.statusCode, 204, label);
        assert.equal(swapped.body, "");
      }
    }
  });

  test("on a real socket: an oversized file is cut off long before it has all been sent", async () => {
    const { deps, app } = world();
    const limit = deps.config.maxAttachmentBytes;
    const owner = await makeCustomer(deps);
    const customer = await world().signedIn(owner);
    const ticket = await makeTicket(deps, owner);
    const token = await customer.csrf(`/tickets/${ticket.id}`);
    const address = await app.listen({ port: 0, host: "127.0.0.1" });
    const port = Number(new URL(address).port);
    const total = limit * 8;
    const boundary = "----tessera-security-test";
    const preamble = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${token}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="content"\r\n\r\nbig\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="attachments"; filename="big.bin"\r\n` +
        "Content-Type: application/octet-stream\r\n\r\n",
    );
    const request = (length: string, cookie: string) =>
      `POST /tickets/${ticket.id}/replies HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
      `Content-Type: multipart/form-data; boundary=${boundary}\r\n${length}` +
      (cookie ? `Cookie: ${cookie}\r\n` : "") +
      "\r\n";

    const declared = await streamUpload(
      port,
      request(`Content-Length: ${preamble.length + total}\r\n`, cookieHeader(customer)),
      preamble,
      total,
    );
    assert.equal(declared.status, "413", "the oversized file is refused with 413");
    assert.equal(declared.finished, false, "the client never got to send the whole body");
    assert.ok(
      declared.sentBeforeAnswer < limit * 3,
      `${declared.sentBeforeAnswer} bytes were sent before the answer (limit ${limit})`,
    );
    // Chunked: the server cannot know the size up front and must count as it reads.
    const chunked = await streamUpload(
      port,
      request("Transfer-Encoding: chunked\r\n", cookieHeader(customer)),
      preamble,
      total,
      true,
    );
    assert.equal(chunked.status, "413");
    assert.equal(chunked.finished, false);
    assert.ok(chunked.sentBeforeAnswer < limit * 3, `${chunked.sentBeforeAnswer} bytes sent`);

    // Nobody signed in: refused before a single byte of the body is read.
    const anonymous = await streamUpload(
      port,
      request(`Content-Length: ${preamble.length + total}\r\n`, ""),
      preamble,
      total,
    );
    assert.equal(anonymous.status, "401");
    assert.ok(anonymous.sentBeforeAnswer < limit, `${anonymous.sentBeforeAnswer} bytes read`);

    // A form body declared larger than the limit is refused on its headers alone.
    const form = await streamUpload(
      port,
      `POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${total}\r\n\r\n`,
      Buffer.alloc(0),
      total,
    );
    assert.equal(form.status, "413");
    assert.ok(form.sentBeforeAnswer < limit, `${form.sentBeforeAnswer} bytes read`);

    // A file cut off mid-part (the client gave up) is a 400, not a server error.
    const cut = await customer.app.inject({
      method: "POST",
      url: `/tickets/${ticket.id}/replies`,
      headers: {
        cookie: cookieHeader(customer),
        "content-type": `multipart/form-data; boundary=${boundary}`,
      },
      payload: Buffer.concat([preamble, Buffer.from("only the start of a file")]),
    });
    assert.equal(cut.statusCode, 400);

    // Nothing of the refused upload was kept.
    const page = await customer.get(`/tickets/${ticket.id}`);
    assert.doesNotMatch(page.body, /big\.bin/);
  });
});
