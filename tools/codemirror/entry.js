// What the workbench's rule editor imports from CodeMirror 6: one ES module, built by build.mjs into
// ordinance/web/static/vendor/codemirror.js. Only what the page uses is exported, so the rest is
// left out of the bundle; add a name here (and rebuild with `make codemirror`) to use more.

export { Compartment, EditorSelection, EditorState } from "@codemirror/state";
export {
  EditorView, drawSelection, dropCursor, highlightActiveLine, highlightActiveLineGutter, highlightSpecialChars,
  keymap, lineNumbers,
} from "@codemirror/view";
export {
  LanguageSupport, StreamLanguage, bracketMatching, ensureSyntaxTree, foldGutter, foldKeymap, indentOnInput,
  indentUnit, syntaxHighlighting,
} from "@codemirror/language";
export { defaultKeymap, history, historyKeymap, indentLess, indentMore } from "@codemirror/commands";
export { highlightSelectionMatches, search, searchKeymap } from "@codemirror/search";
export { autocompletion } from "@codemirror/autocomplete";
export { lintGutter, lintKeymap, setDiagnostics } from "@codemirror/lint";
export { yamlLanguage } from "@codemirror/lang-yaml";
export { Tag, tagHighlighter, tags } from "@lezer/highlight";
export { IterMode, parseMixed } from "@lezer/common";
