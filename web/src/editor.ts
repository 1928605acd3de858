// The code editor of hooks and Actions: CodeMirror 6 with JavaScript
// highlighting, bracket matching, a lint gutter fed by the server's compile
// errors, completion from a type tree (hookTypes.ts, actionTypes.ts) and
// Ctrl/Cmd+S to save.
import { EditorState, type Extension } from "@codemirror/state";
import {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { javascript } from "@codemirror/lang-javascript";
import { bracketMatching, indentOnInput, syntaxHighlighting, defaultHighlightStyle, foldGutter } from "@codemirror/language";
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { searchKeymap } from "@codemirror/search";
import type { Field } from "./hookTypes";

// pathCompletions completes a dotted path (context.webtask.se|,
// api.accessToken.set|) by walking a type tree from its roots.
export function pathCompletions(roots: Record<string, Field>) {
  return (ctx: CompletionContext): CompletionResult | null => {
    const word = ctx.matchBefore(/[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\.?/);
    if (!word || (word.from === word.to && !ctx.explicit)) return null;
    const parts = word.text.split(".");
    const last = parts.pop() ?? "";
    let scope: Record<string, Field> | undefined = roots;
    for (const p of parts) {
      scope = scope?.[p]?.fields;
      if (!scope) return null;
    }
    if (parts.length === 0 && last.length === 0 && !ctx.explicit) return null;
    return {
      from: word.to - last.length,
      options: Object.entries(scope).map(([label, f]) => ({
        label,
        type: f.kind ?? "property",
        detail: f.type,
        info: f.info,
      })),
      validFor: /^[\w$]*$/,
    };
  };
}

// COMPILE_ERROR reads the line and column of the API's 400 ("Script does
// not compile: line 3, column 7: ...").
const COMPILE_ERROR = /line (\d+), column (\d+): (.*?)(?:' on property \w+\.?)?$/;

export function compileDiagnostic(view: EditorView, message: string): Diagnostic | null {
  const m = COMPILE_ERROR.exec(message);
  const doc = view.state.doc;
  if (!m) return null;
  const lineNo = Math.min(Math.max(1, Number(m[1])), doc.lines);
  const line = doc.line(lineNo);
  const from = Math.min(line.from + Math.max(0, Number(m[2]) - 1), line.to);
  return { from, to: Math.min(line.to, from + 1), severity: "error", message: m[3] };
}

export function showDiagnostics(view: EditorView, d: Diagnostic[]) {
  view.dispatch(setDiagnostics(view.state, d));
}

export interface EditorOptions {
  parent: HTMLElement;
  doc: string;
  // The names in scope and their fields, for completion.
  completions: Record<string, Field>;
  // The accessible name of the editing area.
  label: string;
  onChange: (doc: string) => void;
  onSave: () => void;
}

export function createEditor(o: EditorOptions): EditorView {
  const extensions: Extension[] = [
    lineNumbers(),
    highlightActiveLineGutter(),
    foldGutter(),
    lintGutter(),
    history(),
    drawSelection(),
    indentOnInput(),
    bracketMatching(),
    closeBrackets(),
    highlightActiveLine(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    javascript(),
    autocompletion({ override: [pathCompletions(o.completions)], activateOnTyping: true }),
    keymap.of([
      { key: "Mod-s", preventDefault: true, run: () => { o.onSave(); return true; } },
      ...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap, ...completionKeymap, indentWithTab,
    ]),
    EditorView.updateListener.of((u) => {
      if (u.docChanged) {
        o.onChange(u.state.doc.toString());
        // A stale compile marker would point at moved code.
        showDiagnosticsLater(u.view);
      }
    }),
    EditorView.contentAttributes.of({ "aria-label": o.label }),
    // The page's CSP admits CodeMirror's <style> element by this nonce
    // (internal/dashboard/assets.go).
    EditorView.cspNonce.of(document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? ""),
  ];
  return new EditorView({ parent: o.parent, state: EditorState.create({ doc: o.doc, extensions }) });
}

function showDiagnosticsLater(view: EditorView) {
  queueMicrotask(() => view.dispatch(setDiagnostics(view.state, [])));
}
