// A plain-text editor: a <textarea> over a backdrop that marks problems, with a line-number gutter.
// The backdrop holds the same text (as text nodes) so that marks line up with the characters above.

import { h, clear } from "./dom.js";

export class Editor {
  constructor({ textarea, gutter, backdrop, onChange }) {
    this.ta = textarea;
    this.gutter = gutter;
    this.backdrop = backdrop;
    this.onChange = onChange || (() => {});
    this.problems = [];
    this.lineCount = 0;
    this.ta.addEventListener("input", () => {
      this.render();
      this.onChange(this.ta.value);
    });
    this.ta.addEventListener("scroll", () => this.syncScroll());
    this.ta.addEventListener("keydown", (e) => this.keydown(e));
  }

  get value() {
    return this.ta.value;
  }

  setText(text) {
    this.ta.value = text;
    this.ta.scrollTop = 0;
    this.ta.scrollLeft = 0;
    this.problems = [];
    this.render();
  }

  /** problems: [{line, column, endLine?, endColumn?, message}] for this text (1-based lines and columns). */
  setProblems(problems) {
    this.problems = problems || [];
    this.render();
  }

  keydown(e) {
    if (e.key === "Tab" && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey) {
      // YAML forbids tabs for indentation: a Tab key inserts two spaces.
      e.preventDefault();
      this.ta.setRangeText("  ", this.ta.selectionStart, this.ta.selectionEnd, "end");
      this.ta.dispatchEvent(new Event("input"));
    } else if (e.key === "Escape") {
      this.ta.blur();
    }
  }

  syncScroll() {
    this.gutter.scrollTop = this.ta.scrollTop;
    this.backdrop.scrollTop = this.ta.scrollTop;
    this.backdrop.scrollLeft = this.ta.scrollLeft;
  }

  lineHeight() {
    return parseFloat(getComputedStyle(this.ta).lineHeight) || 20;
  }

  /** Offset in the text of (line, column), both 1-based; clamped to the text. */
  offset(line, column) {
    const lines = this.ta.value.split("\n");
    const l = Math.min(Math.max(1, line), lines.length);
    let pos = 0;
    for (let i = 0; i < l - 1; i += 1) pos += lines[i].length + 1;
    return pos + Math.min(Math.max(0, column - 1), lines[l - 1].length);
  }

  /** Put the caret at (line, column), selecting to (endLine, endColumn) if given, and scroll there. */
  goTo(line, column, endLine, endColumn) {
    const start = this.offset(line, column);
    const end = endLine ? this.offset(endLine, endColumn || column) : start;
    this.ta.focus({ preventScroll: true });
    this.ta.setSelectionRange(start, Math.max(start, end));
    const lh = this.lineHeight();
    const top = (line - 1) * lh;
    if (top < this.ta.scrollTop || top > this.ta.scrollTop + this.ta.clientHeight - 2 * lh) {
      this.ta.scrollTop = Math.max(0, top - this.ta.clientHeight / 3);
    }
    this.ta.scrollLeft = 0;
    this.syncScroll();
  }

  render() {
    const lines = this.ta.value.split("\n");
    const byLine = new Map();
    for (const p of this.problems) {
      const n = Math.min(Math.max(1, p.line), lines.length);
      if (!byLine.has(n)) byLine.set(n, []);
      byLine.get(n).push(p);
    }
    // the gutter
    clear(this.gutter);
    const frag = document.createDocumentFragment();
    lines.forEach((_, i) => {
      const n = i + 1;
      const probs = byLine.get(n);
      frag.appendChild(h("div", {
        class: ["gutter-line", probs ? "has-problem" : null],
        title: probs ? probs.map((p) => `${p.line}:${p.column} ${p.code ? `${p.code}: ` : ""}${p.message}`).join("\n") : null,
        dataset: { line: String(n) },
      }, probs ? h("span", { class: "gutter-marker" }, "●") : null, String(n)));
    });
    frag.appendChild(h("div", { class: "gutter-pad" }));
    this.gutter.appendChild(frag);
    // the backdrop: the same text, with problem lines tinted and problem spans underlined
    clear(this.backdrop);
    const back = document.createDocumentFragment();
    lines.forEach((text, i) => {
      const n = i + 1;
      const probs = byLine.get(n);
      const row = h("div", { class: ["bd-line", probs ? "has-problem" : null] });
      if (!probs) {
        row.appendChild(document.createTextNode(text));
      } else {
        const spans = probs.map((p) => {
          const start = Math.min(Math.max(0, p.column - 1), text.length);
          let end;
          if (p.endLine === n && p.endColumn && p.endColumn > p.column) end = Math.min(text.length, p.endColumn - 1);
          else if (p.endLine && p.endLine > n) end = text.length;
          else {
            const m = /^[^\s:,\]\[{}()]+/.exec(text.slice(start));
            end = start + (m ? m[0].length : 1);
          }
          return [start, Math.max(end, start + 1)];
        }).sort((a, b) => a[0] - b[0]);
        let pos = 0;
        for (const [a, b] of spans) {
          if (a < pos) continue;
          if (a > pos) row.appendChild(document.createTextNode(text.slice(pos, a)));
          // a problem at the end of a line (or on an empty one) still shows a mark
          row.appendChild(h("mark", { class: "err-span" }, text.slice(a, b) || "\u00a0"));
          pos = b;
        }
        if (pos < text.length) row.appendChild(document.createTextNode(text.slice(pos)));
      }
      back.appendChild(row);
    });
    back.appendChild(h("div", { class: "bd-pad" }));
    this.backdrop.appendChild(back);
    this.lineCount = lines.length;
    this.syncScroll();
  }
}
