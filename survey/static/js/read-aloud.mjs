// Read-aloud: a "Read aloud" button at the top of each `[data-read-aloud]` question (or block of
// text) that speaks the question, its hint and its options (or each paragraph) with the browser's
// own speech synthesis. Without speech synthesis no button is added; the page is the same as without
// JavaScript. When the device lists its voices and none speaks the page's language (often Welsh),
// the buttons are hidden: a Welsh page read by an English voice is worse than none. An empty list
// means "not known yet", so they stay.

import { pageLanguage, strings } from "./i18n.mjs";

const OPTION_LABELS = ".govuk-radios__label, .govuk-checkboxes__label";
// Conditional reveals hold questions of their own; option hints and the character count's
// "You can enter up to …" message are not the question's hint.
const NESTED = ".govuk-radios__conditional, .govuk-checkboxes__conditional";
const HINT = ".govuk-hint:not(.govuk-radios__hint, .govuk-checkboxes__hint, .govuk-character-count__message, .govuk-character-count__status)";

let idCounter = 0;

/** The text a listener should hear: skips aria-hidden decoration (option symbols) and our own buttons. */
export function spokenText(element) {
  const parts = [];
  const walk = (node) => {
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) {
        parts.push(child.data);
      } else if (
        child.nodeType === Node.ELEMENT_NODE &&
        child.getAttribute("aria-hidden") !== "true" &&
        !child.hidden &&
        !child.classList.contains("app-read-aloud")
      ) {
        walk(child);
      }
    }
  };
  walk(element);
  return parts.join("").replace(/\s+/g, " ").trim();
}

function outsideNested(element, wrapper) {
  const nested = element.closest(NESTED);
  return !nested || !wrapper.contains(nested);
}

/** The question's own text element: the fieldset legend, or the label of a textarea or input. */
function questionElement(wrapper) {
  return (
    wrapper.querySelector("legend") ??
    [...wrapper.querySelectorAll("label")].find(
      (label) => !label.matches(OPTION_LABELS) && outsideNested(label, wrapper),
    ) ??
    null
  );
}

/** What to say, in order: the question, the hint if any, then each option. */
export function piecesToSpeak(wrapper) {
  const question = questionElement(wrapper);
  const hint = [...wrapper.querySelectorAll(HINT)].find((element) => outsideNested(element, wrapper));
  const options = [...wrapper.querySelectorAll(OPTION_LABELS)].filter((label) => outsideNested(label, wrapper));
  if (!question && options.length === 0) {
    // A block of text (the primary "Before you start"): each paragraph and list item in turn.
    return [...wrapper.querySelectorAll("h2, p, li")].map(spokenText).filter((text) => text !== "");
  }
  return [question, hint, ...options]
    .filter(Boolean)
    .map(spokenText)
    .filter((text) => text !== "");
}

function chooseVoice(speech, lang) {
  const voices = typeof speech.getVoices === "function" ? speech.getVoices() : [];
  const wanted = lang.toLowerCase();
  const primary = wanted.split("-")[0];
  const normal = (voice) => (voice.lang || "").toLowerCase().replace("_", "-");
  return (
    voices.find((voice) => normal(voice) === wanted) ??
    voices.find((voice) => normal(voice).split("-")[0] === primary) ??
    null
  );
}

class Reader {
  constructor(speech, lang) {
    this.speech = speech;
    this.lang = lang;
    this.text = strings();
    this.current = null; // { button, utterances } while speaking
  }

  setPressed(button, pressed) {
    button.setAttribute("aria-pressed", String(pressed));
    button.textContent = pressed ? this.text.stopReading : this.text.readAloud;
  }

  toggle(button, wrapper) {
    const wasThis = this.current?.button === button;
    this.stop();
    if (!wasThis) {
      this.start(button, piecesToSpeak(wrapper));
    }
  }

  start(button, pieces) {
    if (pieces.length === 0) {
      return;
    }
    this.speech.cancel(); // clears a queue left stuck by an earlier page or tab
    const voice = chooseVoice(this.speech, this.lang);
    const reading = { button, utterances: [] };
    this.current = reading;
    this.setPressed(button, true);
    const done = () => this.finished(reading);
    pieces.forEach((text, index) => {
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = this.lang;
      if (voice) {
        utterance.voice = voice;
      }
      // A cancelled queue ends with "error" events; `finished` ignores readings already replaced.
      utterance.addEventListener("error", done);
      if (index === pieces.length - 1) {
        utterance.addEventListener("end", done);
      }
      reading.utterances.push(utterance); // kept, so the browser cannot drop them before "end"
      this.speech.speak(utterance);
    });
  }

  finished(reading) {
    if (this.current === reading) {
      this.current = null;
      this.setPressed(reading.button, false);
    }
  }

  stop() {
    const reading = this.current;
    if (reading) {
      this.current = null;
      this.setPressed(reading.button, false);
      this.speech.cancel();
    }
  }
}

/** Hide `buttons` once the device's voices are known and none is for `lang`; show them if one comes. */
function hideWithoutVoice(speech, lang, buttons) {
  const check = () => {
    const voices = typeof speech.getVoices === "function" ? speech.getVoices() : [];
    if (!voices || voices.length === 0) {
      return; // not listed yet (voices load late), or the browser never lists them
    }
    const none = chooseVoice(speech, lang) === null;
    for (const button of buttons) {
      button.hidden = none;
      button.classList.toggle("govuk-!-display-none", none); // .govuk-button's display beats [hidden]
    }
  };
  check();
  if (typeof speech.addEventListener === "function") {
    speech.addEventListener("voiceschanged", check);
  }
}

export function initReadAloud(root = document) {
  const speech = window.speechSynthesis;
  if (!speech || typeof speech.speak !== "function" || typeof window.SpeechSynthesisUtterance !== "function") {
    return;
  }
  const wrappers = root.querySelectorAll("[data-read-aloud]");
  if (wrappers.length === 0) {
    return;
  }
  const reader = new Reader(speech, pageLanguage() === "cy" ? "cy-GB" : "en-GB");
  for (const wrapper of wrappers) {
    if (wrapper.querySelector(":scope > .app-read-aloud") || piecesToSpeak(wrapper).length === 0) {
      continue;
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "govuk-button govuk-button--secondary app-read-aloud";
    reader.setPressed(button, false);
    // Screen reader users hear which question the button reads.
    const question = questionElement(wrapper);
    if (question) {
      if (!question.id) {
        idCounter += 1;
        question.id = `app-read-aloud-question-${idCounter}`;
      }
      button.setAttribute("aria-describedby", question.id);
    }
    button.addEventListener("click", () => reader.toggle(button, wrapper));
    wrapper.prepend(button);
  }
  hideWithoutVoice(speech, reader.lang, root.querySelectorAll(".app-read-aloud"));
  // Stop talking when the pupil leaves the page (some browsers carry on after navigating).
  window.addEventListener("pagehide", () => reader.stop());
}
