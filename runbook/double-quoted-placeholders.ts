// `run: echo "stage {{ version }}"` renders as `echo "stage 'v2'"`: a value is shell-quoted with
// single quotes, and inside double quotes those stay literal. Safe, but rarely what the author
// meant, so `ssmflow validate` warns about it. Pure code, no shell: only the quoting context of
// each placeholder is worked out, as `sh` reads the line.
import { templatedStrings, type RunbookIssue } from './cross-checks.js';
import type { Runbook } from './schema.js';
import { findTemplateReferences, type TemplateReference } from './templates.js';

export interface DoubleQuotedPlaceholder {
  reference: TemplateReference;
  /** Offset of the `"` that opens the double-quoted text around it. */
  openedAt: number;
}

// What the shell is reading: commands (top level, `$( )`, `( )`), backquotes or double quotes.
type Context = { kind: 'command' | 'parenthesis' | 'backquote' } | { kind: 'double-quote'; openedAt: number };

const wordStart = /[\s;&|()]/;
const heredocOperator = /^<<-?[ \t]*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/;

/** The `{{ name }}` references in a shell script that stand inside double quotes. */
export function findDoubleQuotedPlaceholders(script: string): DoubleQuotedPlaceholder[] {
  const references = new Map(findTemplateReferences(script).map((reference) => [reference.index, reference]));
  const found: DoubleQuotedPlaceholder[] = [];
  const stack: Context[] = [{ kind: 'command' }];
  const pendingHeredocs: { delimiter: string; stripTabs: boolean }[] = [];
  let i = 0;
  while (i < script.length) {
    const context = stack[stack.length - 1] ?? { kind: 'command' };
    const reference = references.get(i);
    if (reference !== undefined) {
      if (context.kind === 'double-quote') found.push({ reference, openedAt: context.openedAt });
      // A reference holds no quotes or backslashes: step over it whole.
      i += reference.text.length;
      continue;
    }
    const char = script[i] ?? '';
    if (char === '\\') {
      i += 2;
      continue;
    }
    if (context.kind === 'double-quote') {
      if (char === '"') stack.pop();
      else if (char === '`') stack.push({ kind: 'backquote' });
      else if (script.startsWith('$(', i)) {
        stack.push({ kind: 'parenthesis' });
        i++;
      }
      i++;
      continue;
    }
    if (char === '\n' && pendingHeredocs.length > 0) {
      i = skipHeredocBodies(script, i + 1, pendingHeredocs.splice(0));
      continue;
    }
    const heredoc = heredocOperator.exec(script.slice(i));
    if (heredoc !== null) {
      pendingHeredocs.push({ delimiter: heredoc[2] ?? '', stripTabs: heredoc[0].startsWith('<<-') });
      i += heredoc[0].length;
    } else if (char === "'") {
      const end = script.indexOf("'", i + 1);
      i = end === -1 ? script.length : end + 1;
    } else if (char === '#' && (i === 0 || wordStart.test(script[i - 1] ?? ''))) {
      const end = script.indexOf('\n', i);
      i = end === -1 ? script.length : end;
    } else {
      if (char === '"') stack.push({ kind: 'double-quote', openedAt: i });
      else if (char === '(') stack.push({ kind: 'parenthesis' });
      else if (char === ')' && context.kind === 'parenthesis') stack.pop();
      else if (char === '`') {
        if (context.kind === 'backquote') stack.pop();
        else stack.push({ kind: 'backquote' });
      }
      i++;
    }
  }
  return found;
}

/** Where the line after the bodies of the here-documents that start at `from` begins. */
function skipHeredocBodies(script: string, from: number, heredocs: { delimiter: string; stripTabs: boolean }[]): number {
  let i = from;
  for (const { delimiter, stripTabs } of heredocs) {
    while (i < script.length) {
      const end = script.indexOf('\n', i);
      const line = script.slice(i, end === -1 ? script.length : end);
      i = end === -1 ? script.length : end + 1;
      if ((stripTabs ? line.replace(/^\t+/, '') : line) === delimiter) break;
    }
  }
  return i;
}

/** Start and end offsets of the line of `script` that holds offset `index`. */
function lineAround(script: string, index: number): { start: number; end: number } {
  const end = script.indexOf('\n', index);
  return { start: script.lastIndexOf('\n', index - 1) + 1, end: end === -1 ? script.length : end };
}

/** The line holding `placeholder`, rewritten with the placeholder outside the double quotes. */
export function lineWithPlaceholderOutsideQuotes(script: string, placeholder: DoubleQuotedPlaceholder): string {
  const { index, text } = placeholder.reference;
  const line = lineAround(script, index);
  let before = script.slice(line.start, index);
  let after = script.slice(index + text.length, line.end);
  // Close the quotes before the placeholder and reopen them after, without leaving an empty "".
  before = placeholder.openedAt === index - 1 ? before.slice(0, -1) : `${before}"`;
  after = after.startsWith('"') ? after.slice(1) : `"${after}`;
  return `${before}${text}${after}`.trim();
}

/** The line holding `placeholder` as the shell gets it, the value shown as '…'. */
function lineAsRendered(script: string, placeholder: DoubleQuotedPlaceholder): string {
  const { index, text } = placeholder.reference;
  const line = lineAround(script, index);
  return `${script.slice(line.start, index)}'…'${script.slice(index + text.length, line.end)}`.trim();
}

/** A warning for each placeholder inside double quotes in a command of the runbook. */
export function doubleQuotedPlaceholderWarnings(runbook: Runbook): RunbookIssue[] {
  return templatedStrings(runbook)
    .filter((string) => string.place === 'command')
    .flatMap(({ path, text }) =>
      findDoubleQuotedPlaceholders(text).map((placeholder) => {
        const step = runbook.steps[path[1] as number];
        // `run`, `waitUntil.run` or `rollback.run`; the located path gives the line index too.
        const field = path
          .slice(2)
          .filter((segment) => typeof segment === 'string')
          .join('.');
        return {
          path,
          message:
            `step "${step?.id ?? ''}", ${field}: ${placeholder.reference.text} is inside double quotes, so its value ` +
            `arrives wrapped in the single quotes that shell-quote it: ${lineAsRendered(text, placeholder)}`,
          fix: `put it outside the double quotes: ${lineWithPlaceholderOutsideQuotes(text, placeholder)}`,
        };
      }),
    );
}
