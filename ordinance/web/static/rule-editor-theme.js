// How the rule editor looks: CodeMirror's theme for the Draft view, in the page's colours and fonts
// (the custom properties of app.css), and the colours of the tokens rule-language.js classifies.
// CodeMirror puts these rules in a constructable stylesheet (see tools/codemirror/build.mjs), which
// the page's Content-Security-Policy allows; app.css holds no rule for the editor's inside.
// Every colour of text has a contrast of at least 4.5:1 on the editor's backgrounds.

import { EditorView } from "./vendor/codemirror.js";

export const ruleTheme = EditorView.theme({
  // the editor fills its box (.editor in app.css: its border, height and focus ring), and scrolls inside
  "&": { flex: "1 1 auto", minWidth: "0", minHeight: "0", backgroundColor: "#fff", color: "var(--ink)",
         fontSize: "var(--code-size)" },
  "&.cm-focused": { outline: "none" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "var(--code-line)", overflow: "auto" },
  ".cm-content": { padding: "8px 0", caretColor: "var(--ink)" },
  ".cm-line": { padding: "0 12px 0 6px" },
  ".cm-gutters": { backgroundColor: "#f3f5f7", color: "var(--muted)", borderRight: "1px solid var(--rule)" },
  ".cm-lineNumbers .cm-gutterElement": { padding: "0 .45rem 0 .6rem", minWidth: "2.6rem" },
  // translucent, so that the selection drawn beneath the text shows through
  ".cm-activeLine": { backgroundColor: "rgba(175, 184, 193, .16)" },
  ".cm-activeLineGutter": { backgroundColor: "#e6eaef", color: "var(--ink)" },
  "&.cm-focused .cm-selectionBackground, ::selection": { backgroundColor: "var(--sel)" },
  ".cm-selectionBackground": { backgroundColor: "#e6eaef" },
  ".cm-matchingBracket, &.cm-focused .cm-matchingBracket": { backgroundColor: "#c7f0d2", outline: "1px solid #1a7f37" },
  ".cm-nonmatchingBracket, &.cm-focused .cm-nonmatchingBracket": { backgroundColor: "var(--fail-bg)", outline: "1px solid var(--fail)" },
  ".cm-searchMatch": { backgroundColor: "var(--mark)" },
  ".cm-selectionMatch": { backgroundColor: "#e3effb" },
  ".cm-tooltip": { fontFamily: "var(--sans)", fontSize: ".88rem", border: "1px solid var(--rule-strong)", borderRadius: "6px",
                   backgroundColor: "#fff", color: "var(--ink)" },
  ".cm-tooltip-autocomplete > ul": { fontFamily: "var(--mono)", maxHeight: "16em" },
  ".cm-tooltip-autocomplete > ul > li[aria-selected]": { backgroundColor: "var(--accent)", color: "#fff" },
  ".cm-completionDetail": { fontFamily: "var(--sans)", fontStyle: "normal", color: "var(--muted)", marginLeft: "1em" },
  "li[aria-selected] .cm-completionDetail": { color: "#fff" },
  ".cm-diagnostic": { padding: "4px 8px" },
  ".cm-diagnosticText .problem-hint": { display: "block", color: "var(--muted)" },
  ".cm-diagnosticSource": { fontFamily: "var(--mono)", color: "var(--fail)", opacity: "1" },
  ".cm-panels": { backgroundColor: "var(--soft)", color: "var(--ink)", fontFamily: "var(--sans)" },
  ".cm-panel.cm-search label": { fontSize: ".85rem" },
  // tokens
  ".tok-key": { color: "#953800" },
  ".tok-keyword": { color: "#6639ba", fontWeight: "600" },
  ".tok-bool": { color: "#6639ba" },
  ".tok-money, .tok-rate, .tok-duration, .tok-number, .tok-date": { color: "#116329" },
  ".tok-string": { color: "#0a3069" },
  ".tok-fact, .tok-table": { color: "#0550ae" },
  ".tok-function": { color: "#6639ba" },
  ".tok-operator": { color: "#a40e26" },
  ".tok-bracket, .tok-punctuation": { color: "#57606a" },
  ".tok-comment": { color: "var(--muted)", fontStyle: "italic" },
  ".tok-invalid": { color: "var(--fail)", textDecoration: "underline wavy" },
});
