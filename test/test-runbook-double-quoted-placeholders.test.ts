import { describe, expect, it } from 'vitest';
import {
  doubleQuotedPlaceholderWarnings,
  findDoubleQuotedPlaceholders,
  lineWithPlaceholderOutsideQuotes,
} from '../runbook/double-quoted-placeholders.js';
import { parseRunbook } from '../runbook/load.js';
import { renderCommand } from '../runbook/render.js';

/** The names of the placeholders inside double quotes. */
function quoted(script: string): string[] {
  return findDoubleQuotedPlaceholders(script).map((placeholder) => placeholder.reference.name);
}

function rewritten(script: string): string[] {
  return findDoubleQuotedPlaceholders(script).map((placeholder) => lineWithPlaceholderOutsideQuotes(script, placeholder));
}

describe('findDoubleQuotedPlaceholders', () => {
  it('finds a placeholder inside double quotes, where its shell quotes would stay literal', () => {
    expect(quoted('echo "stage {{ version }}"')).toEqual(['version']);
    // What the warning is about: the rendered command keeps the single quotes inside the double ones.
    expect(renderCommand('echo "stage {{ version }}"', { version: 'v2' })).toBe(`echo "stage 'v2'"`);
  });

  it('leaves placeholders that are outside double quotes', () => {
    expect(quoted('echo stage {{ version }}')).toEqual([]);
    expect(quoted('echo "stage "{{ version }}')).toEqual([]);
    expect(quoted(`echo '"' {{ version }} '"'`)).toEqual([]);
    expect(quoted('echo \\" {{ version }} \\"')).toEqual([]);
  });

  it('follows escapes, command substitution and backquotes inside double quotes', () => {
    expect(quoted('echo "a \\" {{ one }} \\" b"')).toEqual(['one']);
    expect(quoted('echo "$(cat {{ file }})"')).toEqual([]);
    expect(quoted('echo "$(printf "%s" {{ file }})"')).toEqual([]);
    expect(quoted('echo "$(printf "%s {{ file }}")"')).toEqual(['file']);
    expect(quoted('echo "`cat {{ file }}` {{ tail }}"')).toEqual(['tail']);
    expect(quoted('test "$(echo "x")" = y && echo "{{ after }}"')).toEqual(['after']);
  });

  it('ignores comments and here-document bodies, whose quotes do not count', () => {
    expect(quoted(`# don't worry\necho "{{ a }}"`)).toEqual(['a']);
    expect(quoted(`echo ok # it's "{{ a }}"\necho {{ b }}`)).toEqual([]);
    expect(quoted(`cat <<'EOF'\nit's "{{ a }}"\nEOF\necho "{{ b }}"`)).toEqual(['b']);
    expect(quoted(`cat <<-EOF\n\tsay "{{ a }}"\n\tEOF\necho {{ b }}`)).toEqual([]);
  });

  it('reports each placeholder of a line', () => {
    expect(quoted('echo "{{ a }} and {{ b }}" {{ c }}')).toEqual(['a', 'b']);
  });
});

describe('lineWithPlaceholderOutsideQuotes', () => {
  it('closes the quotes before the placeholder and reopens them after, without empty pairs', () => {
    expect(rewritten('echo "stage {{ version }}"')).toEqual(['echo "stage "{{ version }}']);
    expect(rewritten('echo "{{ version }}"')).toEqual(['echo {{ version }}']);
    expect(rewritten('echo "undo {{ version }} now"')).toEqual(['echo "undo "{{ version }}" now"']);
    expect(rewritten('set -e\n  echo "at {{ host }}" >> log\ndone')).toEqual(['echo "at "{{ host }} >> log']);
  });

  it('gives a line that renders without literal single quotes', () => {
    const [line] = rewritten('echo "stage {{ version }}"');
    expect(renderCommand(line ?? '', { version: 'v2' })).toBe(`echo "stage "'v2'`);
  });
});

describe('doubleQuotedPlaceholderWarnings', () => {
  it('names the step, the field and the placeholder in every kind of command', () => {
    const parsed = parseRunbook(
      `apiVersion: ssmflow/v1
name: demo
parameters: { version: { type: string } }
targets: { tags: { Env: dev } }
steps:
  - id: announce
    run: [echo ok, 'echo "stage {{ version }}"']
    rollback: { run: 'echo "undo {{ version }}"' }
  - id: wait
    waitUntil: { run: 'test "$(cat v)" = "{{ version }}"', interval: 1s, timeout: 1m }
  - id: plain
    run: echo {{ version }}
`,
      'x.yaml',
    );
    if ('errors' in parsed) throw new Error(JSON.stringify(parsed.errors));
    expect(doubleQuotedPlaceholderWarnings(parsed.runbook).map((warning) => [warning.path, warning.message])).toEqual([
      [
        ['steps', 0, 'run', 1],
        expect.stringMatching(/^step "announce", run: \{\{ version \}\} is inside double quotes.*: echo "stage '…'"$/),
      ],
      [['steps', 0, 'rollback', 'run'], expect.stringMatching(/^step "announce", rollback\.run: \{\{ version \}\}/)],
      [['steps', 1, 'waitUntil', 'run'], expect.stringMatching(/^step "wait", waitUntil\.run: \{\{ version \}\}/)],
    ]);
    expect(parsed.warnings.map((warning) => [warning.line, warning.path, warning.fix])).toEqual([
      [7, 'steps[0].run[1]', 'put it outside the double quotes: echo "stage "{{ version }}'],
      [8, 'steps[0].rollback.run', 'put it outside the double quotes: echo "undo "{{ version }}'],
      [10, 'steps[1].waitUntil.run', 'put it outside the double quotes: test "$(cat v)" = {{ version }}'],
    ]);
  });
});
