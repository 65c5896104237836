// The few words the JavaScript adds to a page, in English and Welsh, chosen by <html lang>.
// The server translates everything else with Babel; keep these in step with the Welsh translator.

const STRINGS = {
  en: {
    readAloud: "Read aloud",
    stopReading: "Stop reading",
    timeoutHeading: "Are you still there?",
    timeoutClosing: "Nobody has used the survey for a while. To keep your answers private, it will close soon.",
    timeoutSaved: "The answers you have saved will not be lost.",
    stillHere: "I'm still here",
  },
  cy: {
    readAloud: "Darllen yn uchel",
    stopReading: "Stopio darllen",
    timeoutHeading: "Wyt ti dal yna?",
    timeoutClosing:
      "Does neb wedi defnyddio’r arolwg ers tro. Er mwyn cadw dy atebion yn breifat, bydd yn cau cyn bo hir.",
    timeoutSaved: "Fyddi di ddim yn colli’r atebion rwyt ti wedi’u cadw.",
    stillHere: "Rydw i dal yma",
  },
};

/** "cy" on Welsh pages, otherwise "en". */
export function pageLanguage() {
  return (document.documentElement.lang || "").toLowerCase().startsWith("cy") ? "cy" : "en";
}

/** The strings for this page's language. */
export function strings() {
  return STRINGS[pageLanguage()];
}
