// Builds the front-end assets into survey/static/build/ (git-ignored):
//   - survey/assets/scss/app.scss -> build/app.css (compressed Sass, our neutral theme on GOV.UK Frontend)
//   - GOV.UK Frontend's compiled JavaScript module and its assets folder (images, manifest), without
//     the GDS Transport fonts, which only services on GOV.UK may use.
// Run with `npm run build` after `npm ci`. Uses only Node's standard library and the `sass` package.

import { cpSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const govuk = join(root, "node_modules", "govuk-frontend", "dist", "govuk");
const out = join(root, "survey", "static", "build");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// 1. Sass. `node_modules` is a load path, so `@use "govuk-frontend/dist/govuk"` works, and the Node
//    package importer also resolves the documented `@use "pkg:govuk-frontend"`.
const entry = join(root, "survey", "assets", "scss", "app.scss");
const result = sass.compile(entry, {
  style: "compressed",
  loadPaths: [join(root, "node_modules")],
  importers: [new sass.NodePackageImporter(root)],
  quietDeps: true,
});
writeFileSync(join(out, "app.css"), result.css + "\n");

// 2. GOV.UK Frontend's JavaScript (an ES module; survey/static/js/app.mjs imports it).
cpSync(join(govuk, "govuk-frontend.min.js"), join(out, "govuk-frontend.min.js"));

// 3. Images and manifest, without fonts.
const fonts = join(govuk, "assets", "fonts");
cpSync(join(govuk, "assets"), join(out, "assets"), {
  recursive: true,
  filter: (source) => source !== fonts && !source.startsWith(fonts + sep),
});

const kb = (path) => (statSync(path).size / 1024).toFixed(1);
for (const file of ["app.css", "govuk-frontend.min.js"]) {
  console.log(`${relative(root, join(out, file))}  ${kb(join(out, file))} KB`);
}
console.log(`${relative(root, join(out, "assets"))}/  (images, manifest.json)`);
