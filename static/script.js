// Tessera's one enhancement script. Plain ES2020, no build step, loaded with
// `defer` after htmx under CSP `script-src 'self'`. Everything here is
// progressive: every page and form works the same without it.
//
// htmx boosts links and forms (`hx-boost` on <body>), so a "page load" is a
// swap of <body>. This script makes that behave like a real page load for
// keyboard and screen-reader users, and stops double submits.
//
// File uploads need nothing from us: htmx 2 sends a boosted form as
// multipart/form-data (a real FormData, files included, with the browser
// setting the boundary) when the form's raw `enctype` attribute is exactly
// "multipart/form-data" or an ancestor has hx-encoding="multipart/form-data"
// (see usesFormData() and encodeParamsForBody() in htmx.org/dist/htmx.js
// 2.0.x). Keep that attribute spelt exactly so in the views.
/**
 * A message from the page (the #client-messages element layout.tsx renders),
 * in the reader's language; swapped with the page, so it follows a change of language.
 */
function pageMessage(name) {
  try {
    const holder = document.getElementById("client-messages");
    return JSON.parse(holder?.getAttribute("data-messages") ?? "{}")[name] ?? "";
  } catch {
    return "";
  }
}

(() => {
  /** Submit buttons this script disabled, so it never re-enables one a view disabled on purpose. */
  const BUSY = "data-busy";

  /** The form a boosted request belongs to, if the request came from a form. */
  const formOf = (event) => {
    const elt = event.detail?.elt;
    return elt instanceof HTMLFormElement ? elt : null;
  };

  const submitButtons = (form) =>
    Array.from(form.elements).filter(
      (el) =>
        (el instanceof HTMLButtonElement && el.type === "submit") ||
        (el instanceof HTMLInputElement && (el.type === "submit" || el.type === "image")),
    );

  /** The button that had focus when its form went busy: disabling it drops focus to <body>. */
  const focusedBefore = new WeakMap();

  function markBusy(form) {
    form.setAttribute("aria-busy", "true");
    for (const button of submitButtons(form)) {
      if (button.disabled) continue;
      if (button === document.activeElement) focusedBefore.set(form, button);
      button.disabled = true;
      button.setAttribute(BUSY, "");
    }
  }

  /** Undoes markBusy for `root` (a form, or the whole document) and everything in it. */
  function clearBusy(root) {
    if (root instanceof HTMLFormElement) root.removeAttribute("aria-busy");
    for (const form of root.querySelectorAll('form[aria-busy="true"]')) {
      form.removeAttribute("aria-busy");
    }
    for (const button of root.querySelectorAll(`[${BUSY}]`)) {
      button.disabled = false;
      button.removeAttribute(BUSY);
    }
    // The form is still on the page (no swap): give focus back to where the user was.
    const button = root instanceof HTMLFormElement ? focusedBefore.get(root) : undefined;
    if (button) {
      focusedBefore.delete(root);
      if (button.isConnected && document.activeElement === document.body) button.focus();
    }
  }

  // htmx fires beforeRequest after it has read the form's values (including the
  // clicked button's name/value), so disabling the buttons here loses nothing.
  // Without this a second click is queued by htmx and posts the form again.
  document.addEventListener("htmx:beforeRequest", (event) => {
    const form = formOf(event);
    if (form) markBusy(form);
  });

  // Fires on success, error status, network failure, abort and timeout alike.
  // After a normal swap the form is gone; it matters when the form stays
  // (204 No Content, or a request that never got an answer).
  document.addEventListener("htmx:afterRequest", (event) => {
    const form = formOf(event);
    if (form) clearBusy(form);
  });

  // A page restored from the back/forward cache must not keep disabled buttons.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) clearBusy(document);
  });

  /**
   * After a boosted page swap, put focus where a fresh page load would: on the
   * form's error summary when there is one (so it is read out and the user can
   * tab straight to the fields), else on <main> so screen readers start at the
   * new content. If htmx kept focus on the same control (same id on the new
   * page, e.g. a desk filter submitted with Enter), leave it there.
   */
  function focusAfterSwap() {
    const errors = document.querySelector("main .form-errors");
    if (errors instanceof HTMLElement) {
      if (!errors.hasAttribute("tabindex")) errors.setAttribute("tabindex", "-1");
      errors.focus();
      return;
    }
    const main = document.querySelector("main");
    if (!(main instanceof HTMLElement)) return;
    const active = document.activeElement;
    if (active && active !== document.body && main.contains(active) && active !== main) return;
    if (!main.hasAttribute("tabindex")) main.setAttribute("tabindex", "-1");
    // htmx has already scrolled (to the top, or to the #anchor): keep that.
    main.focus({ preventScroll: true });
  }

  // htmx fires afterSettle once per swapped top-level element; handle the swap once.
  let focusQueued = false;
  function queueFocus() {
    if (focusQueued) return;
    focusQueued = true;
    queueMicrotask(() => {
      focusQueued = false;
      focusAfterSwap();
    });
  }

  document.addEventListener("htmx:afterSettle", (event) => {
    // Only whole-page (boosted) swaps move focus; a future partial update must not.
    if (event.detail?.boosted) queueFocus();
  });

  // Back/forward: htmx re-fetches the page (historyCacheSize is 0) and swaps it in.
  document.addEventListener("htmx:historyRestore", queueFocus);

  /**
   * When a boosted request gets no answer at all, htmx does nothing visible;
   * say so at the top of the page instead of leaving a dead click.
   */
  function showConnectionProblem() {
    const main = document.querySelector("main");
    if (!main) return;
    let box = main.querySelector(".notice.is-problem");
    if (!box) {
      box = document.createElement("p");
      box.className = "notice is-problem";
      box.setAttribute("role", "alert");
      main.prepend(box);
    }
    box.textContent = pageMessage("connectionProblem");
  }

  document.addEventListener("htmx:sendError", showConnectionProblem);
  document.addEventListener("htmx:timeout", showConnectionProblem);

  // A successful swap replaces <main>, which removes that message with it.

  // ---------------------------------------------------------------------------
  // Agent keyboard shortcuts: j/k move through the ticket list, Enter opens,
  // r reply, n internal note, a assign to me, g d desk, ? the list of them.
  //
  // Staff only: layout.tsx renders data-shortcuts="staff" on <body>, the "?"
  // dialog and the #announcer live region. All listeners are delegated on
  // document, so they keep working after htmx swaps the page. A shortcut never
  // fires while the user types in a field, nor with Ctrl, Alt or Meta held
  // (those belong to the browser and to screen readers).

  const SELECTED = "is-selected";
  const LAST_TICKET = "tessera:last-ticket";

  const shortcutsOn = () => document.body?.getAttribute("data-shortcuts") === "staff";

  /**
   * htmx swaps the content of <body>, never its attributes, so after signing in
   * or out through a boosted form the flag would describe the previous person.
   * Copy it from the <body> tag of the page the server sent.
   */
  function syncShortcutsFlag(html) {
    if (typeof html !== "string") return;
    const tag = /<body\b[^>]*>/i.exec(html);
    if (!tag) return; // a fragment, not a page: nothing about the person changed
    const parsed = new DOMParser().parseFromString(`${tag[0]}</body>`, "text/html");
    const value = parsed.body.getAttribute("data-shortcuts");
    if (value) document.body.setAttribute("data-shortcuts", value);
    else document.body.removeAttribute("data-shortcuts");
    syncLanguage(html);
  }

  /**
   * Likewise <html lang dir>: signing in can bring the person's own language,
   * which a boosted swap would otherwise leave read (and laid out) as the last one.
   */
  function syncLanguage(html) {
    const tag = /<html\b[^>]*>/i.exec(html);
    if (!tag) return;
    const parsed = new DOMParser().parseFromString(`${tag[0]}</html>`, "text/html");
    for (const name of ["lang", "dir"]) {
      const value = parsed.documentElement.getAttribute(name);
      if (value) document.documentElement.setAttribute(name, value);
    }
  }

  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail?.shouldSwap) syncShortcutsFlag(event.detail.serverResponse);
  });
  document.addEventListener("htmx:historyRestore", (event) => {
    syncShortcutsFlag(event.detail?.serverResponse);
  });

  let announceTimer;
  /** Says `text` through the polite live region (emptied first, so a repeat is read again). */
  function announce(text) {
    const region = document.getElementById("announcer");
    if (!region) return;
    region.textContent = "";
    clearTimeout(announceTimer);
    announceTimer = setTimeout(() => {
      region.textContent = text;
    }, 50);
  }

  /** Whether a key pressed on `target` is someone typing (fields, selects, rich text). */
  function isTypingIn(target) {
    if (!(target instanceof Element)) return false;
    if (target instanceof HTMLElement && target.isContentEditable) return true;
    return (
      target.closest(
        'input, textarea, select, [contenteditable]:not([contenteditable="false"])',
      ) !== null
    );
  }

  const ticketRows = () => Array.from(document.querySelectorAll("tr[data-ticket-row]"));
  const rowLink = (row) =>
    row.querySelector(".ticket-title a") ?? row.querySelector('a[href^="/tickets/"]');

  function remember(row) {
    const id = row.getAttribute("data-ticket-row");
    if (!id) return;
    try {
      sessionStorage.setItem(LAST_TICKET, id);
    } catch {
      // Storage switched off: coming back to the list simply starts at the top.
    }
  }

  function markSelected(row) {
    for (const other of ticketRows()) other.classList.toggle(SELECTED, other === row);
  }

  /** j/k: moves the selection one row (the first press picks the first row). */
  function moveSelection(step) {
    const rows = ticketRows();
    if (rows.length === 0) return false;
    const current = rows.findIndex((row) => row.classList.contains(SELECTED));
    const next = current === -1 ? 0 : Math.min(rows.length - 1, Math.max(0, current + step));
    const row = rows[next];
    markSelected(row);
    remember(row);
    // Focus on the title link makes screen readers read the ticket out.
    rowLink(row)?.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
    if (next === current) {
      announce(step > 0 ? "Last ticket in the list." : "First ticket in the list.");
    } else {
      announce(`Ticket ${next + 1} of ${rows.length}.`);
    }
    return true;
  }

  /** Enter: opens the selected ticket, unless focus is on a control with its own Enter. */
  function openSelected(target) {
    const row = document.querySelector(`tr[data-ticket-row].${SELECTED}`);
    const link = row && rowLink(row);
    if (!link) return false;
    if (
      target instanceof Element &&
      target.closest('a, button, summary, [role="button"], [tabindex]:not([tabindex="-1"])')
    ) {
      return false; // on the row's own link Enter follows it already
    }
    link.click();
    return true;
  }

  /** r / n: focuses the reply box with "Internal note" unticked / ticked. */
  function writeReply(internal) {
    const box = document.getElementById("field-content");
    if (!(box instanceof HTMLTextAreaElement)) {
      announce("There is no reply box on this page.");
      return;
    }
    const note = box.form?.querySelector('input[name="internal"]');
    if (note instanceof HTMLInputElement) {
      if (note.checked !== internal) {
        note.checked = internal;
        note.dispatchEvent(new Event("change", { bubbles: true }));
      }
    } else if (internal) {
      announce("Internal notes cannot be added here.");
      return;
    }
    box.scrollIntoView({ block: "center" });
    box.focus({ preventScroll: true });
    announce(
      internal
        ? "Writing an internal note. The customer will not see it."
        : "Writing a reply to the customer.",
    );
  }

  /** a: presses the ticket page's "Assign to me" button. */
  function assignToMe() {
    const button = document.querySelector('[data-shortcut="assign-me"]');
    if (!(button instanceof HTMLButtonElement) || button.disabled) {
      announce(
        document.getElementById("reply") || document.querySelector(".ticket-layout")
          ? "This ticket cannot be assigned to you: it is yours already, or closed."
          : "Open a ticket to assign it to yourself.",
      );
      return;
    }
    announce("Assigning the ticket to you.");
    button.click();
  }

  function goToDesk() {
    const link = document.querySelector('.site-header a[href="/desk"]');
    if (link instanceof HTMLAnchorElement) link.click();
    else window.location.assign("/desk");
  }

  const helpDialog = () => {
    const dialog = document.getElementById("shortcuts-help");
    return dialog instanceof HTMLDialogElement ? dialog : null;
  };

  /** Where focus was before the "?" dialog opened, to put it back on close. */
  let focusBeforeHelp = null;

  function openHelp() {
    const dialog = helpDialog();
    if (!dialog || dialog.open) return false;
    focusBeforeHelp = document.activeElement;
    dialog.showModal(); // modal: Esc closes it, focus moves in and stays in
    return true;
  }

  // `close` does not bubble: listen while it goes down (Esc and the Close button both end here).
  document.addEventListener(
    "close",
    (event) => {
      if (!(event.target instanceof HTMLDialogElement) || event.target.id !== "shortcuts-help") {
        return;
      }
      const target = focusBeforeHelp;
      focusBeforeHelp = null;
      if (target instanceof HTMLElement && target.isConnected && target !== document.body) {
        target.focus();
      }
    },
    true,
  );

  /** When "g" was pressed, for "g d" (go to desk) within a second and a half. */
  let gPressedAt = 0;

  document.addEventListener("keydown", (event) => {
    if (!shortcutsOn() || event.defaultPrevented) return;
    if (event.ctrlKey || event.altKey || event.metaKey || event.isComposing) return;
    if (isTypingIn(event.target)) return;
    if (helpDialog()?.open) return;
    // Holding a key down repeats only the movement keys, never an action.
    if (event.repeat && event.key !== "j" && event.key !== "k") return;
    const afterG = Date.now() - gPressedAt < 1500;
    gPressedAt = 0;
    let handled = true;
    switch (event.key) {
      case "j":
        handled = moveSelection(1);
        break;
      case "k":
        handled = moveSelection(-1);
        break;
      case "Enter":
        handled = openSelected(event.target);
        break;
      case "r":
        writeReply(false);
        break;
      case "n":
        writeReply(true);
        break;
      case "a":
        assignToMe();
        break;
      case "?":
        handled = openHelp();
        break;
      case "g":
        gPressedAt = Date.now();
        break;
      case "d":
        if (afterG) goToDesk();
        else handled = false;
        break;
      default:
        handled = false;
    }
    // Also stops the key's letter from landing in the reply box that just got focus.
    if (handled) event.preventDefault();
  });

  // Tabbing or clicking into a row moves the selection there, so j/k carry on from it.
  document.addEventListener("focusin", (event) => {
    if (!shortcutsOn() || !(event.target instanceof Element)) return;
    const row = event.target.closest("tr[data-ticket-row]");
    if (row) {
      markSelected(row);
      remember(row);
    }
  });

  /**
   * On every page: show the shortcut hints (hidden without this script, when
   * the keys would do nothing) and, back on a list, mark the ticket last
   * opened from it so j/k continue from there.
   */
  function preparePage() {
    const on = shortcutsOn();
    for (const hint of document.querySelectorAll("[data-shortcut-hint]")) hint.hidden = !on;
    if (!on) return;
    let last = null;
    try {
      last = sessionStorage.getItem(LAST_TICKET);
    } catch {
      return;
    }
    const row = last && ticketRows().find((r) => r.getAttribute("data-ticket-row") === last);
    if (row) row.classList.add(SELECTED);
  }

  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail?.boosted) preparePage();
  });
  document.addEventListener("htmx:historyRestore", preparePage);
  preparePage();

  // ---------------------------------------------------------------------------
  // The account page offers the browser's own time zone when it is not the
  // one in the box (the button is hidden without this script).

  function offerBrowserZone() {
    const button = document.querySelector("button[data-browser-zone-for]");
    const input = button && document.getElementById(button.getAttribute("data-browser-zone-for"));
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!button || !input || !zone || input.value === zone) return;
    const slot = button.querySelector("[data-browser-zone]");
    if (slot) slot.textContent = zone;
    button.parentElement.hidden = false;
  }

  document.addEventListener("click", (event) => {
    const button =
      event.target instanceof Element && event.target.closest("button[data-browser-zone-for]");
    if (!button) return;
    const input = document.getElementById(button.getAttribute("data-browser-zone-for"));
    if (!input) return;
    input.value = Intl.DateTimeFormat().resolvedOptions().timeZone;
    button.parentElement.hidden = true;
    input.focus();
  });
  document.addEventListener("htmx:afterSettle", offerBrowserZone);
  offerBrowserZone();
})();

// ---------------------------------------------------------------------------
// Live pages: the ticket page and the desk follow changes as they happen.
//
// One EventSource per page (GET /live, or /live?ticket=ID on a ticket). Its
// events only say which ticket changed; the fresh parts are fetched through
// the page's own URL, with the viewer's permissions, and swapped in. The
// reply being written is never touched, and its hidden `lastSeenMessageId`
// keeps what the page loaded with: the server asks before sending a reply
// when others wrote since. Staff also see who else has the ticket open and
// who is typing. Without this script the pages are the same, just not live.
(() => {
  if (typeof EventSource !== "function" || typeof fetch !== "function") return;

  /** The open stream: { source, key }, key "desk" or the ticket id. */
  let live = null;
  let lastViewers = [];
  let refreshTimer;
  let missedEvents = false;
  /** When the current page was loaded or swapped in. */
  let loadedAt = 0;

  const ticketRoot = () => document.querySelector("[data-live-ticket]");
  function liveKey() {
    const ticket = ticketRoot();
    if (ticket) return ticket.getAttribute("data-live-ticket");
    return document.querySelector("[data-live-desk]") ? "desk" : null;
  }

  function connect() {
    loadedAt = Date.now();
    const key = liveKey();
    if (live && live.key === key) {
      showPresence(lastViewers); // the page was swapped: its presence line is new and empty
      return;
    }
    if (live) live.source.close();
    live = null;
    lastViewers = [];
    if (!key) return;
    const source = new EventSource(key === "desk" ? "/live" : `/live?ticket=${key}`);
    live = { source, key };
    source.addEventListener("ticket", (event) => {
      const data = JSON.parse(event.data);
      if (key !== "desk" && String(data.ticketId) !== key) return;
      // This person's own change, just after the page it led to loaded: that page shows it.
      if (data.self && Date.now() - loadedAt < 3000) return;
      scheduleRefresh();
    });
    source.addEventListener("presence", (event) => {
      lastViewers = JSON.parse(event.data).viewers;
      showPresence(lastViewers);
    });
    source.addEventListener("error", () => {
      missedEvents = true;
    });
    source.addEventListener("open", () => {
      // Back after a lost connection: catch up on what happened meanwhile.
      if (missedEvents) scheduleRefresh();
      missedEvents = false;
    });
  }

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 150);
  }

  /** The current page fetched again, parsed; undefined when it is not the same page any more. */
  async function fetchPage() {
    const url = window.location.href;
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok || response.redirected || url !== window.location.href) return undefined;
    return new DOMParser().parseFromString(await response.text(), "text/html");
  }

  /** Puts `fresh` in place of `current` (both found by selector), with htmx wired into it. */
  function swap(current, fresh) {
    if (!current || !fresh) return;
    const copy = document.importNode(fresh, true);
    current.replaceWith(copy);
    if (window.htmx) window.htmx.process(copy);
  }

  /** Whether someone is busy in `root`: focus in it, or a changed, unsaved control. */
  function inUse(root) {
    if (!root) return false;
    if (root.contains(document.activeElement)) return true;
    return Array.from(root.querySelectorAll("select")).some((select) =>
      Array.from(select.options).some((o) => o.selected !== o.defaultSelected),
    );
  }

  function announce(text) {
    const region = document.getElementById("announcer");
    if (region) region.textContent = text;
  }

  async function refresh() {
    const key = live?.key;
    let doc;
    try {
      doc = await fetchPage();
    } catch {
      return; // offline: the stream's reconnect will try again
    }
    if (!doc || !live || live.key !== key) return;
    if (key === "desk") {
      const selected = document.querySelector("tr[data-ticket-row].is-selected");
      const selectedId = selected?.getAttribute("data-ticket-row");
      const focusedRow = document.activeElement?.closest?.("tr[data-ticket-row]");
      swap(document.querySelector("nav.queues"), doc.querySelector("nav.queues"));
      // Tickets ticked for a bulk action stay as they are until it is applied.
      const results = document.getElementById("desk-results");
      const bulkBusy =
        results?.querySelector("input[data-bulk-row]:checked") ||
        inUse(document.getElementById("bulk-form"));
      if (!bulkBusy) {
        swap(results, doc.getElementById("desk-results"));
      }
      const row = selectedId && document.querySelector(`tr[data-ticket-row="${selectedId}"]`);
      if (row) {
        row.classList.add("is-selected");
        if (focusedRow) row.querySelector("a")?.focus({ preventScroll: true });
      }
      return;
    }
    const before = document.querySelectorAll("#conversation > li").length;
    swap(document.getElementById("conversation"), doc.getElementById("conversation"));
    swap(document.querySelector(".ticket-head .meta"), doc.querySelector(".ticket-head .meta"));
    const side = document.querySelector(".ticket-side");
    if (!inUse(side)) swap(side, doc.querySelector(".ticket-side"));
    const after = document.querySelectorAll("#conversation > li").length;
    if (after > before) announce(pageMessage(after - before > 1 ? "newMessages" : "newMessage"));
    else announce(pageMessage("ticketUpdated"));
  }

  /** "Also here: Ann, Bob (typing a reply)", or nothing. Names are text, never HTML. */
  function showPresence(viewers) {
    const line = document.getElementById("presence");
    if (!line) return;
    line.textContent = "";
    line.hidden = viewers.length === 0;
    if (viewers.length === 0) return;
    line.append(`${pageMessage("alsoViewing")} `);
    // The list's commas and "and" in the page's language; each name is an element of its own.
    const lang = document.documentElement.lang || "en";
    const parts = new Intl.ListFormat(lang, { type: "conjunction" }).formatToParts(
      viewers.map((viewer) => viewer.name),
    );
    let next = 0;
    for (const part of parts) {
      if (part.type !== "element") {
        line.append(part.value);
        continue;
      }
      const viewer = viewers[next];
      next += 1;
      const name = document.createElement("strong");
      name.textContent = viewer.name;
      line.append(name);
      if (viewer.typing) {
        const typing = document.createElement("span");
        typing.className = "typing";
        typing.textContent = ` ${pageMessage("typing")}`;
        line.append(typing);
      }
    }
  }

  // Staff typing in the reply box: say so every few seconds while it goes on.
  let typingSentAt = 0;
  document.addEventListener("input", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLTextAreaElement) || box.id !== "field-content") return;
    const key = live?.key;
    if (!key || key === "desk" || !document.getElementById("presence")) return;
    if (Date.now() - typingSentAt < 3000) return;
    typingSentAt = Date.now();
    const token = box.form?.querySelector('input[name="_csrf"]')?.value ?? "";
    fetch("/live/typing", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-csrf-token": token },
      body: new URLSearchParams({ ticket: key }).toString(),
    }).catch(() => {});
  });

  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail?.boosted) connect();
  });
  document.addEventListener("htmx:historyRestore", connect);
  // Leaving the page: close at once, so colleagues stop seeing this person here.
  window.addEventListener("pagehide", () => {
    live?.source.close();
    live = null;
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) connect();
  });
  connect();
})();

// ---------------------------------------------------------------------------
// Canned replies in the reply box (src/canned): "/" at the start of a line, or
// in an empty box, opens a list of them, filtered by what follows as you type;
// Up and Down move, Enter inserts the one chosen, Esc closes. The server fills
// it in for this ticket (GET /api/v1/tickets/ID/canned-replies/CID/rendered),
// its values escaped as text, and it replaces the "/words" typed. The list is
// the reply form's own <select name="cannedId">: without this script, that
// select and its Insert button do the same through the server.
//
// The message box keeps focus throughout (aria-activedescendant names the
// chosen option of the role="listbox"), so typing goes on filtering.

(() => {
  const PICKER_ID = "canned-picker";
  /** The open picker: its box, where the "/" is, the options shown and the chosen one. */
  let open = null;

  const hostOf = (box) => box.form?.querySelector("[data-canned-ticket]") ?? null;

  function messages(host) {
    try {
      return JSON.parse(
        host.querySelector("[data-canned-messages]")?.getAttribute("data-canned-messages") ?? "{}",
      );
    } catch {
      return {};
    }
  }

  function announce(text) {
    const region = document.getElementById("announcer");
    if (!region) return;
    region.textContent = "";
    setTimeout(() => {
      region.textContent = text;
    }, 50);
  }

  /** Lower case without accents, for matching what is typed against titles. */
  const fold = (text) =>
    text
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLocaleLowerCase();

  /** The "/words" just typed before the caret: where its line starts and the words; else null. */
  function slashQuery(box) {
    if (box.selectionStart !== box.selectionEnd) return null;
    const before = box.value.slice(0, box.selectionStart);
    const start = before.lastIndexOf("\n") + 1;
    const line = before.slice(start);
    if (!line.startsWith("/") || line.length > 80 || /^\/\s/.test(line)) return null;
    return { start, end: box.selectionStart, query: line.slice(1) };
  }

  /** The canned replies the select offers, with the words each matches on. */
  function choices(host) {
    return Array.from(host.querySelectorAll('select[name="cannedId"] option')).map((option) => ({
      id: option.value,
      label: option.textContent ?? "",
      key: fold(option.getAttribute("data-title") ?? option.textContent ?? ""),
    }));
  }

  function matching(host, query) {
    const words = fold(query).split(/\s+/).filter(Boolean);
    const found = choices(host).filter((c) => words.every((w) => c.key.includes(w)));
    // Titles that start with the first word come first; otherwise the select's order.
    const first = words[0] ?? "";
    return found
      .map((c, i) => ({ c, i, rank: first && c.key.startsWith(first) ? 0 : 1 }))
      .sort((a, b) => a.rank - b.rank || a.i - b.i)
      .map((x) => x.c);
  }

  function close() {
    if (!open) return;
    const { box, list } = open;
    list.remove();
    box.removeAttribute("aria-activedescendant");
    box.removeAttribute("aria-controls");
    box.removeAttribute("aria-autocomplete");
    open = null;
  }

  function choose(index) {
    if (!open || open.items.length === 0) return;
    open.active = (index + open.items.length) % open.items.length;
    for (const [i, li] of Array.from(open.list.children).entries()) {
      li.setAttribute("aria-selected", i === open.active ? "true" : "false");
    }
    const chosen = open.list.children[open.active];
    open.box.setAttribute("aria-activedescendant", chosen.id);
    chosen.scrollIntoView({ block: "nearest" });
  }

  /** Opens or refreshes the list under `box` for `slash`; titles are text, never HTML. */
  function show(box, host, slash) {
    const items = matching(host, slash.query);
    if (!open || open.box !== box) {
      close();
      const list = document.createElement("ul");
      list.id = PICKER_ID;
      list.className = "canned-picker";
      list.setAttribute("role", "listbox");
      list.setAttribute("aria-label", messages(host).label ?? "");
      box.insertAdjacentElement("afterend", list);
      box.setAttribute("aria-controls", PICKER_ID);
      // A textbox may not carry aria-expanded; the list's presence is what aria-controls names.
      box.setAttribute("aria-autocomplete", "list");
      open = { box, host, list, items: [], active: -1, slash };
    }
    open.slash = slash;
    open.items = items;
    open.list.textContent = "";
    box.removeAttribute("aria-activedescendant");
    if (items.length === 0) {
      const empty = document.createElement("li");
      empty.className = "canned-empty";
      empty.textContent = messages(host).none ?? "";
      open.list.append(empty);
      return;
    }
    for (const item of items) {
      const li = document.createElement("li");
      li.id = `canned-option-${item.id}`;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.setAttribute("data-canned-id", item.id);
      li.textContent = item.label;
      open.list.append(li);
    }
    choose(0);
  }

  /** Puts the chosen canned reply, filled in for this ticket, where the "/words" are. */
  async function insert(index) {
    if (!open) return;
    const { box, host, slash } = open;
    const item = open.items[index];
    close();
    if (!item) return;
    const ticket = host.getAttribute("data-canned-ticket");
    const words = messages(host);
    let body;
    try {
      const response = await fetch(
        `/api/v1/tickets/${encodeURIComponent(ticket)}/canned-replies/${encodeURIComponent(item.id)}/rendered`,
        { credentials: "same-origin", headers: { accept: "application/json" } },
      );
      if (!response.ok) throw new Error(String(response.status));
      body = (await response.json()).body;
    } catch {
      announce(words.failed ?? "");
      return;
    }
    if (typeof body !== "string" || !box.isConnected) return;
    const typed = box.value.slice(slash.start, slash.end);
    // Still where it was typed: replace it; else (the box changed meanwhile) at the caret.
    if (typed.startsWith("/") && !typed.includes("\n")) {
      box.setRangeText(body, slash.start, slash.end, "end");
    } else {
      box.setRangeText(body, box.selectionStart, box.selectionEnd, "end");
    }
    box.dispatchEvent(new Event("input", { bubbles: true }));
    box.focus();
    announce(words.inserted ?? "");
  }

  document.addEventListener("input", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLTextAreaElement) || box.name !== "content") return;
    const host = hostOf(box);
    const slash = host && slashQuery(box);
    if (slash) show(box, host, slash);
    else close();
  });

  document.addEventListener("keydown", (event) => {
    if (!open || event.target !== open.box || event.isComposing) return;
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    switch (event.key) {
      case "ArrowDown":
        choose(open.active + 1);
        break;
      case "ArrowUp":
        choose(open.active - 1);
        break;
      case "Enter":
        if (open.items.length === 0) {
          close();
          return;
        }
        void insert(open.active);
        break;
      case "Escape":
        close();
        break;
      case "Tab":
        close();
        return;
      default:
        return;
    }
    event.preventDefault();
  });

  // A click on an option inserts it; pressing the mouse keeps focus in the box.
  document.addEventListener("mousedown", (event) => {
    if (!open || !(event.target instanceof Element)) return;
    const option = event.target.closest(`#${PICKER_ID} [role="option"]`);
    if (!option) return;
    event.preventDefault();
    const index = open.items.findIndex((c) => c.id === option.getAttribute("data-canned-id"));
    void insert(index);
  });

  document.addEventListener("focusout", (event) => {
    if (open && event.target === open.box) close();
  });
  // Moving the caret elsewhere (a click, Home/End) closes it when it is no longer after a "/".
  document.addEventListener("selectionchange", () => {
    if (open && document.activeElement === open.box && !slashQuery(open.box)) close();
  });

  /** The hint about "/" shows only where this script runs. */
  function showHints() {
    for (const hint of document.querySelectorAll("[data-canned-hint]")) hint.hidden = false;
  }
  document.addEventListener("htmx:beforeSwap", close);
  document.addEventListener("htmx:afterSettle", showHints);
  showHints();
})();

// Bulk selection on the desk: shift-click ticks a range, the header box ticks the page,
// and the bar says how many are chosen. Without this the checkboxes and buttons still work.
(() => {
  let last = null;
  const rows = () => Array.from(document.querySelectorAll("input[data-bulk-row]"));

  function showCount() {
    const count = document.querySelector("[data-bulk-count]");
    const all = document.querySelector("input[data-bulk-all]");
    const boxes = rows();
    const ticked = boxes.filter((box) => box.checked).length;
    if (count) {
      const text = count.getAttribute("data-text") ?? "";
      count.textContent = ticked > 0 ? text.replace("{count}", String(ticked)) : "";
    }
    if (all) {
      all.hidden = false;
      all.checked = boxes.length > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
  }

  document.addEventListener("click", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLInputElement)) return;
    if (box.matches("input[data-bulk-all]")) {
      for (const row of rows()) row.checked = box.checked;
      showCount();
      return;
    }
    if (!box.matches("input[data-bulk-row]")) return;
    const boxes = rows();
    if (event.shiftKey && last && last !== box && boxes.includes(last)) {
      const [from, to] = [boxes.indexOf(last), boxes.indexOf(box)].sort((a, b) => a - b);
      for (const row of boxes.slice(from, to + 1)) row.checked = box.checked;
    }
    last = box;
    showCount();
  });
  document.addEventListener("htmx:afterSettle", showCount);
  showCount();
})();
