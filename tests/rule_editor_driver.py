"""Reading and driving the Draft view's rule editor (CodeMirror 6) from Playwright.

CodeMirror draws only the lines in view, so the text, the caret and the marks are read from the
editor itself: ``EditorView.findFromDOM`` of the page's own copy of vendor/codemirror.js (the module
is already loaded, so importing it asks the server for nothing). The page has no hook for tests.
Typing goes through ``page.keyboard``; :func:`editor_set` replaces the whole text in one edit, as a
paste would, for tests about what the server makes of a text rather than about typing it.
"""

from __future__ import annotations

#: the editor's text, the element that takes the focus and the keys (a contenteditable)
EDITOR = "#editor .cm-content"

VIEW = ("(await import('/static/vendor/codemirror.js')).EditorView"
        ".findFromDOM(document.querySelector('#editor .cm-editor'))")


def editor_text(page) -> str:
    """The whole text in the editor."""
    return page.evaluate(f"async () => {VIEW}.state.doc.toString()")


def editor_set(page, text: str) -> None:
    """Replace the editor's text with ``text``, as one user edit (the page checks it as it would a paste)."""
    page.evaluate(f"""async (text) => {{
        const view = {VIEW};
        view.dispatch({{changes: {{from: 0, to: view.state.doc.length, insert: text}}, userEvent: "input.paste"}});
    }}""", text)


def editor_selection(page) -> list[int]:
    """[from, to] of the main selection (offsets in the text, as JavaScript counts them)."""
    return page.evaluate(f"async () => {{ const r = {VIEW}.state.selection.main; return [r.from, r.to]; }}")


def editor_caret_at(page, needle: str, offset: int = 0) -> int:
    """Put the caret ``offset`` characters into the first ``needle`` of the text, scrolled into view and
    focused, as a click there would; returns the caret's offset."""
    return page.evaluate(f"""async ([needle, offset]) => {{
        const view = {VIEW};
        const at = view.state.doc.toString().indexOf(needle);
        if (at < 0) throw new Error(`not in the editor: ${{needle}}`);
        view.dispatch({{selection: {{anchor: at + offset}}, scrollIntoView: true}});
        view.focus();
        return at + offset;
    }}""", [needle, offset])


def editor_line(page) -> str:
    """The text of the line the caret is on."""
    return page.evaluate(f"async () => {{ const v = {VIEW}; return v.state.doc.lineAt(v.state.selection.main.head).text; }}")


def editor_line_of(page, selector: str) -> list[int]:
    """The line numbers (1-based) of the rendered elements matching ``selector`` in the editor: in the
    text, by their position in it; in the gutters, by their height."""
    return page.evaluate(f"""async (selector) => {{
        const view = {VIEW};
        const pos = (el) => el.closest(".cm-gutters")
            ? view.lineBlockAtHeight(el.getBoundingClientRect().top + 1 - view.documentTop).from
            : view.posAtDOM(el);
        return [...view.dom.querySelectorAll(selector)].map((el) => view.state.doc.lineAt(pos(el)).number);
    }}""", selector)
