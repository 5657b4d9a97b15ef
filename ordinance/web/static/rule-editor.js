// The Draft view's editor of rule files, on CodeMirror 6 (vendor/codemirror.js, built by
// tools/codemirror): YAML with the expression language highlighted inside it (rule-language.js),
// completion of names from the policy (rule-completion.js), bracket matching, line numbers, search,
// undo history, and the problems of the server's check underlined where they are.
//
// Its interface is the one draft.js uses: `value`, `setText(text)` (a new file: history starts
// afresh), `setProblems(problems)` (1-based line/column, end optional, as problemLocation gives),
// `goTo(line, column, endLine?, endColumn?)`, and `onChange(text)` after every edit.
//
// Keys: Tab inserts two spaces (YAML does not allow tabs), or indents the selected lines; Shift-Tab
// unindents. Esc then Tab leaves the editor (CodeMirror's tab-focus mode), as the hint beside it says.

import {
  Compartment, EditorSelection, EditorState, EditorView, autocompletion, bracketMatching, defaultKeymap,
  drawSelection, dropCursor, foldGutter, foldKeymap, highlightActiveLine, highlightActiveLineGutter,
  highlightSelectionMatches, highlightSpecialChars, history, historyKeymap, indentLess, indentMore, indentOnInput,
  indentUnit, keymap, lineNumbers, lintGutter, lintKeymap, search, searchKeymap, setDiagnostics, syntaxHighlighting,
} from "./vendor/codemirror.js";
import { lang, onLang, t } from "./i18n.js";
import { ruleFile, ruleHighlighter } from "./rule-language.js";
import { completesFurther, ruleCompletions } from "./rule-completion.js";
import { ruleTheme } from "./rule-editor-theme.js";
import { PHRASES_ZH } from "./rule-editor-phrases.js";

/** The id of the hint that says how to leave the editor (index.html). */
const KEYS_HINT = "editor-keys";

/** Offset in `doc` of (line, column), both 1-based, a column counting characters as the engine does. */
export function offsetAt(doc, line, column) {
  const l = doc.line(Math.min(Math.max(1, line || 1), doc.lines));
  let i = 0;
  for (let c = 1; c < column && i < l.text.length; c += 1) i += l.text.codePointAt(i) > 0xffff ? 2 : 1;
  return l.from + i;
}

function hintedMessage(p) {
  const out = document.createElement("span");
  out.appendChild(document.createTextNode(p.message || ""));
  if (p.hint) {
    const hint = document.createElement("span");
    hint.className = "problem-hint";
    hint.textContent = p.hint;
    out.appendChild(hint);
  }
  return out;
}

/** A problem of the check as a CodeMirror diagnostic: its span, or else the word where it starts. */
export function diagnostic(doc, p) {
  const from = offsetAt(doc, p.line, p.column);
  let to;
  if (p.endLine && p.endColumn) to = offsetAt(doc, p.endLine, p.endColumn);
  else {
    const word = /^[^\s:,\][{}()]+/u.exec(doc.sliceString(from, doc.lineAt(from).to));
    to = from + (word ? word[0].length : 0);
  }
  return {
    from, to: Math.max(from, to), severity: "error", source: p.code || undefined,
    message: p.hint ? `${p.message} (${p.hint})` : p.message || "",
    renderMessage: () => hintedMessage(p),
  };
}

/** Tab: two spaces at the caret, or the selected lines indented. */
function tab(view) {
  const { state } = view;
  if (state.selection.ranges.some((r) => !r.empty)) return indentMore(view);
  view.dispatch(state.update(state.replaceSelection("  "), { scrollIntoView: true, userEvent: "input" }));
  return true;
}

export class RuleEditor {
  /** parent: the element to build the editor in; onChange(text) after an edit; policy(): the loaded policy. */
  constructor({ parent, onChange, policy }) {
    this.onChange = onChange || (() => {});
    this.policy = policy || (() => null);
    this.words = new Compartment();      // what depends on the page's language
    this.view = new EditorView({ parent, state: this.create("") });
    onLang(() => this.view.dispatch({ effects: this.words.reconfigure(this.localized()) }));
  }

  localized() {
    return [
      EditorState.phrases.of(lang() === "zh" ? PHRASES_ZH : {}),
      // tabindex 0, which a contenteditable element has anyway, written out: axe-core's
      // scrollable-region-focusable then sees that the scrolled region holds something to focus
      EditorView.contentAttributes.of({ "aria-label": t("draft.editorLabel"), "aria-describedby": KEYS_HINT, tabindex: "0" }),
    ];
  }

  create(text) {
    return EditorState.create({
      doc: text,
      extensions: [
        lineNumbers(), foldGutter(), lintGutter(), highlightActiveLineGutter(), highlightSpecialChars(), history(),
        drawSelection(), dropCursor(), indentOnInput(), bracketMatching(), highlightActiveLine(),
        highlightSelectionMatches(), search({ top: true }),
        autocompletion({ override: [ruleCompletions(this.policy)], icons: false, activateOnCompletion: completesFurther }),
        EditorState.tabSize.of(2), indentUnit.of("  "),
        ruleFile(),
        syntaxHighlighting(ruleHighlighter), ruleTheme,
        keymap.of([
          ...searchKeymap, ...historyKeymap, ...foldKeymap, ...lintKeymap,
          { key: "Tab", run: tab, shift: indentLess }, ...defaultKeymap,
        ]),
        this.words.of(this.localized()),
        EditorView.updateListener.of((u) => { if (u.docChanged) this.onChange(u.state.doc.toString()); }),
      ],
    });
  }

  get value() {
    return this.view.state.doc.toString();
  }

  /** Show another text: a new file, its own history, no problems yet. */
  setText(text) {
    this.view.setState(this.create(text));
  }

  /** problems: [{line, column, endLine?, endColumn?, code?, message, hint?}] for this text. */
  setProblems(problems) {
    const doc = this.view.state.doc;
    this.view.dispatch(setDiagnostics(this.view.state, (problems || []).map((p) => diagnostic(doc, p))));
  }

  /** Put the caret at (line, column), selecting to (endLine, endColumn) if given, and scroll there. */
  goTo(line, column, endLine, endColumn) {
    const doc = this.view.state.doc;
    const anchor = offsetAt(doc, line, column);
    const head = endLine ? Math.max(anchor, offsetAt(doc, endLine, endColumn || column)) : anchor;
    this.view.dispatch({ selection: EditorSelection.single(anchor, head),
                         effects: EditorView.scrollIntoView(anchor, { y: "center" }) });
    this.view.focus();
  }
}
