// Progressive enhancement only: every page works without JavaScript.
// Loaded as <script type="module">, so browsers too old for GOV.UK Frontend's JavaScript skip it.
import { initAll } from "../build/govuk-frontend.min.js";
import { initIdleTimeout } from "./idle-timeout.mjs";
import { initReadAloud } from "./read-aloud.mjs";

initAll();

// Each enhancement on its own: one failing must not stop the other.
for (const init of [initReadAloud, initIdleTimeout]) {
  try {
    init();
  } catch (error) {
    console.error(error);
  }
}
