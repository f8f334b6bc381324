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
    box.textContent = "Tessera could not be reached. Check your connection, then try again.";
  }

  document.addEventListener("htmx:sendError", showConnectionProblem);
  document.addEventListener("htmx:timeout", showConnectionProblem);

  // A successful swap replaces <main>, which removes that message with it.
})();
