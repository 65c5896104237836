// Idle-timeout warning for a signed-in pupil. The server ends a pupil's session after
// PUPIL_IDLE_TIMEOUT_MINUTES without a request, so the next pupil on a shared device cannot see the
// last one's answers. <body data-idle-timeout-minutes="20" data-pupil-signed-in> turns this on.
//
// - Two minutes before the end (half-way for timeouts of 4 minutes or less) a modal <dialog> asks
//   "Are you still there?"; "I'm still here" (or Escape) renews the session with GET /still-here.
// - Typing, clicking or changing an answer also renews it, at most once per `pingInterval`, so a
//   pupil writing a long answer is not signed out while busy. Never around a form being sent or a
//   link being followed: see `navigating()`.
// - When the time is up the page goes to "/", where the server says why the survey closed.
//
// The timer follows the server: `deadline` is the last known renewal plus the timeout, measured
// after the response arrived, so the warning comes before the server's end and the move to "/"
// comes after it.

import { strings } from "./i18n.mjs";

const MINUTE = 60 * 1000;
const KEEP_ALIVE_URL = "/still-here";
const START_URL = "/";
const EXPIRY_MARGIN = 1000; // the server ends a session strictly after the timeout
const BURST = 1000; // events this soon after a keep-alive are covered by it
const ACTIVITY_DELAY = 1000; // so a click that sends a form or follows a link sends no keep-alive
const QUIET_AFTER_NAVIGATION = 30 * 1000;

function warningLead(timeout) {
  return timeout <= 4 * MINUTE ? timeout / 2 : 2 * MINUTE;
}

function buildDialog(text) {
  const dialog = document.createElement("dialog");
  dialog.className = "app-timeout-dialog";
  dialog.id = "app-timeout-dialog";
  dialog.setAttribute("aria-labelledby", "app-timeout-dialog-heading");
  dialog.setAttribute("aria-describedby", "app-timeout-dialog-closing app-timeout-dialog-saved");

  const heading = document.createElement("h2");
  heading.className = "govuk-heading-m app-timeout-dialog__heading";
  heading.id = "app-timeout-dialog-heading";
  heading.textContent = text.timeoutHeading;

  const closing = document.createElement("p");
  closing.className = "govuk-body";
  closing.id = "app-timeout-dialog-closing";
  closing.textContent = text.timeoutClosing;

  const saved = document.createElement("p");
  saved.className = "govuk-body";
  saved.id = "app-timeout-dialog-saved";
  saved.textContent = text.timeoutSaved;

  const button = document.createElement("button");
  button.type = "button";
  button.className = "govuk-button app-timeout-dialog__button";
  button.autofocus = true;
  button.textContent = text.stillHere;

  dialog.append(heading, closing, saved, button);
  return { dialog, button };
}

class IdleTimeout {
  constructor(timeout) {
    this.timeout = timeout;
    this.lead = warningLead(timeout);
    // Keep-alives while the pupil is busy: often enough that the warning never shows during use.
    this.pingInterval = Math.min(MINUTE, timeout / 4);
    this.deadline = Date.now() + timeout; // the page's own request renewed the session just now
    this.lastPing = Date.now();
    this.timer = null;
    this.pendingPing = null;
    this.activityFetch = null; // AbortController of an activity keep-alive in flight
    this.quietUntil = 0;
    this.returnFocus = null;
    this.leaving = false;
    this.closesExpected = 0; // our own close() calls, whose `close` events come later

    const { dialog, button } = buildDialog(strings());
    this.dialog = dialog;
    button.addEventListener("click", () => this.stillHere());
    // Escape: counts as "I'm still here". `cancel` may not be cancellable (Chrome lets a page stop
    // only one Escape without a click in between), so `close` catches the rest.
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      this.stillHere();
    });
    dialog.addEventListener("close", () => {
      if (this.closesExpected > 0) {
        this.closesExpected -= 1;
      } else {
        this.stillHere();
      }
    });
    document.body.append(dialog);
  }

  start() {
    const activity = () => this.activity();
    for (const type of ["keydown", "click", "input"]) {
      document.addEventListener(type, activity, { capture: true, passive: true });
    }
    // A form sent or a link followed: that request renews the session itself. A keep-alive answered
    // after its response could put back a session cookie the server has just changed or ended
    // ("Finish and hand over", the language switch), so none is sent or finished meanwhile.
    window.addEventListener("submit", (event) => {
      if (!event.defaultPrevented) {
        this.navigating();
      }
    });
    window.addEventListener("beforeunload", () => this.navigating());
    // Timers sleep in background tabs and on closed laptops: look again when the page is back.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") {
        this.schedule();
      }
    });
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) {
        this.schedule();
      }
    });
    this.schedule();
  }

  schedule() {
    if (this.leaving) {
      return;
    }
    clearTimeout(this.timer);
    const now = Date.now();
    const expireAt = this.deadline + EXPIRY_MARGIN;
    const warnAt = this.deadline - this.lead;
    if (now >= expireAt) {
      this.leave();
      return;
    }
    if (now >= warnAt) {
      this.openDialog();
      this.timer = setTimeout(() => this.schedule(), expireAt - now);
    } else {
      this.timer = setTimeout(() => this.schedule(), warnAt - now);
    }
  }

  openDialog() {
    if (this.dialog.open) {
      return;
    }
    const active = document.activeElement;
    this.returnFocus = active && active !== document.body ? active : null;
    this.dialog.showModal(); // moves focus to the "I'm still here" button (autofocus)
  }

  closeDialog() {
    if (this.dialog.open) {
      this.closesExpected += 1;
      this.dialog.close();
    }
    const target = this.returnFocus;
    this.returnFocus = null;
    if (target && target.isConnected && document.activeElement !== target) {
      target.focus({ preventScroll: true });
    }
  }

  /** "I'm still here", or Escape: close the warning, restart the timer and renew the session. */
  stillHere() {
    if (this.leaving) {
      return;
    }
    this.closeDialog();
    // Restart at once; the keep-alive's answer then sets the deadline from the server's renewal.
    this.deadline = Date.now() + this.timeout;
    this.schedule();
    this.ping();
  }

  /** Typing, clicking or changing an answer: renew the session, at most once per `pingInterval`. */
  activity() {
    if (this.leaving || this.dialog.open || this.pendingPing !== null || Date.now() < this.quietUntil) {
      return;
    }
    const sincePing = Date.now() - this.lastPing;
    if (sincePing < BURST) {
      return; // the same click or key as the keep-alive just sent (click, then input)
    }
    const wait = Math.max(ACTIVITY_DELAY, this.pingInterval - sincePing);
    this.pendingPing = setTimeout(() => {
      this.pendingPing = null;
      this.ping({ fromActivity: true });
    }, wait);
  }

  navigating() {
    this.quietUntil = Date.now() + QUIET_AFTER_NAVIGATION;
    clearTimeout(this.pendingPing);
    this.pendingPing = null;
    this.activityFetch?.abort();
    this.activityFetch = null;
  }

  async ping({ fromActivity = false } = {}) {
    if (this.leaving || (fromActivity && Date.now() < this.quietUntil)) {
      return;
    }
    this.lastPing = Date.now();
    const controller = new AbortController();
    if (fromActivity) {
      this.activityFetch = controller;
    }
    let response;
    try {
      // `redirect: "manual"`: if the session has already timed out, the server answers with a
      // redirect to the start page and a message; following it here would use up the message.
      response = await fetch(KEEP_ALIVE_URL, {
        credentials: "same-origin",
        cache: "no-store",
        redirect: "manual",
        headers: { Accept: "*/*" },
        signal: controller.signal,
      });
    } catch {
      return; // offline for a moment, or aborted by a navigation: keep the timer as it is
    } finally {
      if (this.activityFetch === controller) {
        this.activityFetch = null;
      }
    }
    if (response.status === 204) {
      this.deadline = Date.now() + this.timeout;
      if (!this.dialog.open) {
        this.schedule();
      }
    } else if (response.status === 401 || response.type === "opaqueredirect") {
      this.leave(); // the session has already ended
    }
  }

  leave() {
    if (this.leaving) {
      return;
    }
    this.leaving = true;
    clearTimeout(this.timer);
    this.navigating();
    window.location.assign(START_URL);
  }
}

export function initIdleTimeout(body = document.body) {
  if (!body || !("pupilSignedIn" in body.dataset)) {
    return null;
  }
  const minutes = Number.parseFloat(body.dataset.idleTimeoutMinutes ?? "20");
  if (!Number.isFinite(minutes) || minutes <= 0) {
    return null;
  }
  if (typeof HTMLDialogElement !== "function" || !("showModal" in HTMLDialogElement.prototype)) {
    return null; // no accessible modal: the server still ends the session and says so
  }
  const idleTimeout = new IdleTimeout(minutes * MINUTE);
  idleTimeout.start();
  return idleTimeout;
}
