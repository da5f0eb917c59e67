/**
 * The SQL editor: CodeMirror 6 with PostgreSQL highlighting and completion
 * of `source.table` and column names from the caller's catalog.
 */
import { PostgreSQL, sql } from '@codemirror/lang-sql';
import { Compartment, EditorState } from '@codemirror/state';
import { keymap } from '@codemirror/view';
import { basicSetup, EditorView } from 'codemirror';

/** `source.schema.table` → column names, for completion. */
export type CompletionSchema = Record<string, readonly string[]>;

export interface SqlEditor {
  readonly view: EditorView;
  text(): string;
  setText(text: string): void;
  setSchema(schema: CompletionSchema): void;
  /** Puts the cursor at a 1-based character position (an error's). */
  select(position: number): void;
}

export function createSqlEditor(parent: HTMLElement, initial: string, onRun: () => void): SqlEditor {
  const language = new Compartment();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: initial,
      extensions: [
        keymap.of([
          {
            key: 'Mod-Enter',
            run: () => {
              onRun();
              return true;
            },
          },
        ]),
        basicSetup,
        language.of(sql({ dialect: PostgreSQL })),
        EditorView.contentAttributes.of({ 'aria-label': 'SQL statement' }),
      ],
    }),
  });
  return {
    view,
    text: () => view.state.doc.toString(),
    setText(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    setSchema(schema) {
      const nested: Record<string, readonly string[]> = {};
      for (const [name, columns] of Object.entries(schema)) nested[name] = columns;
      view.dispatch({
        effects: language.reconfigure(
          sql({ dialect: PostgreSQL, schema: nested as Record<string, string[]> }),
        ),
      });
    },
    select(position) {
      const at = Math.min(Math.max(position - 1, 0), view.state.doc.length);
      view.dispatch({
        selection: { anchor: at, head: Math.min(at + 1, view.state.doc.length) },
        scrollIntoView: true,
      });
      view.focus();
    },
  };
}
