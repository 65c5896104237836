// Progressive enhancement only: every page works without JavaScript.
// Loaded as <script type="module">, so browsers too old for GOV.UK Frontend's JavaScript skip it.
import { initAll } from "../build/govuk-frontend.min.js";

initAll();
