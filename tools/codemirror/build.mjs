// Builds ordinance/web/static/vendor/codemirror.js (one minified ES module) from entry.js and the
// packages pinned in package-lock.json, and writes LICENSES-codemirror.txt beside it: the name, version
// and licence text of every package that ends up in the bundle. Run through `make codemirror`
// (npm ci && npm run build); the output is committed, so installs and CI need no npm.
//
// One change is made to a bundled package, style-mod (how CodeMirror injects its CSS): style-mod adds a
// <style> element to a document, which the page's Content-Security-Policy (style-src 'self') refuses;
// the patch makes it use a constructable stylesheet (document.adoptedStyleSheets), as it already does
// in a shadow root. The build stops if the line to patch is not found exactly once.

import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT_DIR = resolve(HERE, "../../ordinance/web/static/vendor");
const OUT = join(OUT_DIR, "codemirror.js");
const LICENSES = join(OUT_DIR, "LICENSES-codemirror.txt");

const STYLE_MOD_FROM = "if (!root.head && root.adoptedStyleSheets && win.CSSStyleSheet) {";
const STYLE_MOD_TO = "if (root.adoptedStyleSheets && win.CSSStyleSheet) {";

/** style-mod: use document.adoptedStyleSheets rather than a <style> element (see above). */
const constructableStyles = {
  name: "constructable-styles",
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]style-mod[\\/].*\.js$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      const count = text.split(STYLE_MOD_FROM).length - 1;
      if (count !== 1) throw new Error(`style-mod: expected the line to patch once in ${args.path}, found it ${count} times`);
      return { contents: text.replace(STYLE_MOD_FROM, STYLE_MOD_TO), loader: "js" };
    });
  },
};

/** The folder of the npm package a bundled file comes from (node_modules/@scope/name or node_modules/name). */
function packageDir(file) {
  const parts = resolve(HERE, file).split(sep);
  const at = parts.lastIndexOf("node_modules");
  if (at < 0) return null;
  const n = parts[at + 1].startsWith("@") ? 2 : 1;
  return parts.slice(0, at + 1 + n).join(sep);
}

function licenceText(dir) {
  for (const name of ["LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE"]) {
    const path = join(dir, name);
    if (existsSync(path)) return readFileSync(path, "utf8").trim();
  }
  throw new Error(`no licence file in ${dir}`);
}

const pinned = JSON.parse(readFileSync(join(HERE, "package.json"), "utf8"));
const result = await esbuild.build({
  entryPoints: [join(HERE, "entry.js")],
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  charset: "utf8",
  legalComments: "none",
  metafile: true,
  write: false,
  plugins: [constructableStyles],
});

const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const dir = packageDir(input);
  if (!dir || packages.has(dir)) continue;
  const meta = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  if (meta.license !== "MIT") throw new Error(`${meta.name} is under ${meta.license}, not MIT: review before bundling it`);
  packages.set(dir, { name: meta.name, version: meta.version, license: meta.license, text: licenceText(dir) });
}
const listed = [...packages.values()].sort((a, b) => a.name.localeCompare(b.name));
const names = listed.map((p) => `${p.name}@${p.version}`).join(", ");

const banner = `/* CodeMirror 6 for the ordinance workbench, built by tools/codemirror (make codemirror) from ${names}; ` +
  `style-mod patched to use constructable stylesheets. MIT licences: LICENSES-codemirror.txt */\n`;
mkdirSync(OUT_DIR, { recursive: true });
writeFileSync(OUT, banner + result.outputFiles[0].text);

const licences = [
  "The licences of the packages bundled in codemirror.js (built by tools/codemirror, `make codemirror`).",
  `Built with ${Object.keys(pinned.devDependencies).map((n) => `${n}@${pinned.devDependencies[n]}`).join(", ")} (not bundled).`,
  "style-mod is modified: it uses a constructable stylesheet (document.adoptedStyleSheets) for a document",
  "as well as for a shadow root, so that the page's Content-Security-Policy (style-src 'self') allows it.",
  "",
  ...listed.flatMap((p) => ["=".repeat(78), `${p.name} ${p.version} (${p.license})`, "=".repeat(78), "", p.text, ""]),
].join("\n");
writeFileSync(LICENSES, licences);
console.log(`${relative(process.cwd(), OUT)}: ${Buffer.byteLength(banner + result.outputFiles[0].text)} bytes, ${listed.length} packages: ${names}`);
