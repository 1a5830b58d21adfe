// Builds app/static/ (git-ignored) from npm packages: the compiled stylesheet, GOV.UK Frontend's
// JavaScript and images (not its fonts, which belong to GOV.UK), and SEND Ready's own script.
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const frontend = join(root, "node_modules", "govuk-frontend", "dist", "govuk");
const out = join(root, "app", "static");

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "govuk", "assets"), { recursive: true });

const css = sass.compile(join(root, "app", "assets", "app.scss"), {
  loadPaths: [join(root, "node_modules")],
  style: "compressed",
  quietDeps: true,
});
writeFileSync(join(out, "app.css"), css.css);

cpSync(join(frontend, "govuk-frontend.min.js"), join(out, "govuk", "govuk-frontend.min.js"));
cpSync(join(frontend, "assets", "images"), join(out, "govuk", "assets", "images"), { recursive: true });
cpSync(join(root, "app", "assets", "app.mjs"), join(out, "app.mjs"));
console.log("Built app/static/");
