// Parses runbook YAML and reports every problem with the line and column of the offending node,
// the path inside the runbook, what is wrong and how to fix it. No I/O: load-file.ts reads files.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { z } from 'zod';
import { crossCheckRunbook, type IssuePath, type RunbookIssue } from './cross-checks.js';
import { closestMatch } from './did-you-mean.js';
import { doubleQuotedPlaceholderWarnings } from './double-quoted-placeholders.js';
import { normalizeRunbook } from './normalize.js';
import { Runbook } from './schema.js';
import { fixHintOf } from './schema/fix-hint.js';
import type { NormalizedRunbook, RunbookError } from './types.js';

export type ParseRunbookResult =
  | {
      runbook: Runbook;
      normalized: NormalizedRunbook;
      /** Things that work but are probably not what the author meant; same shape as errors. */
      warnings: RunbookError[];
    }
  | { errors: RunbookError[] };

/** `steps[2].rollback.run`, with bracketed quoting for keys that are not plain words. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text;
}

interface Located {
  node: Node | null;
  /** The key node when the path ends at a mapping entry. */
  key: Node | null;
}

/** The deepest YAML node along `path` (the parent when the last part is missing). */
function locate(doc: Document, path: readonly PropertyKey[]): Located {
  let node = doc.contents as Node | null;
  let key: Node | null = null;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) return { node, key: null };
      key = pair.key as Node;
      // `onFailure:` with nothing after it has no value node: point at the key.
      node = (pair.value as Node | null) ?? key;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (item === undefined) return { node, key: null };
      node = item;
      key = null;
    } else {
      return { node, key: null };
    }
  }
  return { node, key };
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value}"`;
  return `${typeof value} ${String(value)}`;
}

const typeNames: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
};

const typeFixes: Record<string, string> = {
  string: "quote the value, e.g. '…'",
  number: 'write a number without quotes',
  int: 'write a whole number without quotes',
  boolean: 'write true or false without quotes',
  array: 'write a list: one "- item" per line, or [a, b]',
  object: 'write indented key: value lines under it',
};

// YAML reads an unquoted `{{ name }}` at the start of a value as a nested mapping.
function quoteFix(value: unknown, otherwise: string): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return "quote it: a value starting with { is read by YAML as a mapping, e.g. run: '{{ command }} --now'";
  }
  return otherwise;
}

/** Keys the schema allows at `path`, for "did you mean" hints. */
function allowedKeysAt(schema: z.ZodType, path: readonly PropertyKey[], data: unknown): string[] {
  let current: z.ZodType = schema;
  const walked: PropertyKey[] = [];
  const unwrap = (value: z.ZodType): z.ZodType => {
    let inner = value;
    while (inner instanceof z.ZodOptional) inner = inner.unwrap() as z.ZodType;
    if (inner instanceof z.ZodUnion) {
      const here = valueAt(data, walked) as Record<string, unknown> | undefined;
      const objects = (inner.options as z.ZodType[]).filter((option) => option instanceof z.ZodObject) as z.ZodObject[];
      const byType = objects.find((option) => {
        const literal = option.shape.type;
        return literal instanceof z.ZodLiteral && here !== undefined && literal.value === here.type;
      });
      if (byType !== undefined) return byType;
    }
    return inner;
  };
  for (const segment of path) {
    current = unwrap(current);
    if (current instanceof z.ZodObject) current = (current.shape as Record<string, z.ZodType>)[String(segment)] ?? current;
    else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else if (current instanceof z.ZodRecord) current = current.valueType as z.ZodType;
    walked.push(segment);
  }
  current = unwrap(current);
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

function schemaIssueToRunbookIssues(issue: z.core.$ZodIssue, data: unknown): RunbookIssue[] {
  const path = issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment)) as IssuePath;
  const value = valueAt(data, path);
  const last = path[path.length - 1];
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(Runbook, path, data);
      return issue.keys.map((key) => {
        const near = closestMatch(key, allowed);
        return {
          path: [...path, key],
          message: `unknown key "${key}"`,
          fix: near !== undefined ? `did you mean \`${near}\`?` : `remove it; allowed here: ${allowed.join(', ')}`,
        };
      });
    }
    case 'invalid_type': {
      if (value === undefined) {
        return [{ path, message: `\`${String(last)}\` is required`, fix: `add \`${String(last)}:\`` }];
      }
      return [
        {
          path,
          message: `must be ${typeNames[issue.expected] ?? issue.expected} (got ${describeValue(value)})`,
          fix:
            issue.expected === 'string'
              ? quoteFix(value, typeFixes.string ?? '')
              : (typeFixes[issue.expected] ?? `write ${issue.expected}`),
        },
      ];
    }
    case 'invalid_value': {
      const values = issue.values.map(String);
      const known = fixHintOf(issue);
      if (known !== undefined) return [{ path, message: `${issue.message} (got ${describeValue(value)})`, fix: known }];
      const near = typeof value === 'string' ? closestMatch(value, values) : undefined;
      return [
        {
          path,
          message: `must be one of ${values.join('|')} (got ${describeValue(value)})`,
          fix: near !== undefined ? `did you mean \`${near}\`?` : `use one of ${values.join(', ')}`,
        },
      ];
    }
    case 'invalid_union': {
      const discriminatorOptions = 'options' in issue ? issue.options : undefined;
      if (issue.discriminator !== undefined && discriminatorOptions !== undefined) {
        const options = discriminatorOptions.map(String);
        const given = valueAt(data, path);
        const near = typeof given === 'string' ? closestMatch(given, options) : undefined;
        const missing = given === undefined;
        return [
          {
            path,
            message: missing
              ? `\`${issue.discriminator}\` is required`
              : `must be one of ${options.join('|')} (got ${describeValue(given)})`,
            fix: near !== undefined ? `did you mean \`${near}\`?` : `set ${issue.discriminator}: to one of ${options.join(', ')}`,
          },
        ];
      }
      const expected = [
        ...new Set(
          issue.errors.flatMap((errors) => errors.filter((inner) => inner.code === 'invalid_type').map((inner) => inner.expected)),
        ),
      ];
      const forms = expected.map((name) => (name === 'array' ? 'a list of text lines' : (typeNames[name] ?? name)));
      return [
        {
          path,
          message: `must be ${forms.join(' or ')} (got ${describeValue(value)})`,
          fix: expected.includes('string')
            ? quoteFix(value, 'write it as one quoted line or a list of lines')
            : 'change it to one of the allowed forms',
        },
      ];
    }
    case 'too_small':
    case 'too_big': {
      const bound = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      const word = issue.code === 'too_small' ? 'at least' : 'at most';
      if (issue.origin === 'array') {
        return [
          {
            path,
            message: `must have ${word} ${bound} item${bound === 1 ? '' : 's'}`,
            fix: issue.code === 'too_small' ? 'add items' : 'remove items',
          },
        ];
      }
      if (issue.origin === 'string') {
        if (issue.code === 'too_small' && bound === 1) return [{ path, message: 'must not be empty', fix: 'write a value' }];
        return [{ path, message: `must be ${word} ${bound} characters long`, fix: 'change its length' }];
      }
      return [{ path, message: `must be ${word} ${bound} (got ${describeValue(value)})`, fix: `use a value ${word} ${bound}` }];
    }
    case 'invalid_format': {
      const fix = fixHintOf(issue) ?? (issue.pattern !== undefined ? `make it match ${issue.pattern}` : `write a valid ${issue.format}`);
      return [{ path, message: `${issue.message} (got ${describeValue(value)})`, fix }];
    }
    case 'invalid_key': {
      const key = last === undefined ? '' : String(last);
      return issue.issues.map((inner) => ({
        path,
        message: `key "${key}" ${inner.message}`,
        fix: fixHintOf(inner) ?? 'rename the key',
      }));
    }
    case 'custom': {
      return [{ path, message: issue.message, fix: fixHintOf(issue) ?? 'see docs/runbook-format.md' }];
    }
    default:
      return [{ path, message: issue.message, fix: 'see docs/runbook-format.md' }];
  }
}

function dedupe(errors: RunbookError[]): RunbookError[] {
  const seen = new Set<string>();
  return errors.filter((error) => {
    const key = `${error.line}:${error.column}:${error.path}:${error.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function toRunbookError(file: string, doc: Document, lineCounter: LineCounter, issue: RunbookIssue, atKey: boolean): RunbookError {
  const { node, key } = locate(doc, issue.path);
  const target = atKey && key !== null ? key : node;
  const offset = target?.range?.[0] ?? 0;
  const { line, col } = lineCounter.linePos(offset);
  return { file, line, column: col, path: formatPath(issue.path), message: issue.message, fix: issue.fix };
}

/** Parses and validates runbook YAML; either the runbook (as written and normalized) or every error. */
export function parseRunbook(text: string, fileName: string): ParseRunbookResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const sourceLines = text.split('\n');
    const seenLines = new Set<number>();
    const errors: RunbookError[] = [];
    // One error per line: YAML reports a cascade of follow-on errors for a single mistake.
    for (const error of doc.errors) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      if (seenLines.has(line)) continue;
      seenLines.add(line);
      errors.push({
        file: fileName,
        line,
        column: col,
        path: '',
        message: `YAML syntax: ${error.message.split('\n')[0] ?? error.message}`,
        fix: yamlSyntaxFix(error.code, sourceLines[line - 1] ?? ''),
      });
    }
    return { errors };
  }
  if (doc.contents === null) {
    return {
      errors: [{ file: fileName, line: 1, column: 1, path: '', message: 'the file is empty', fix: 'start with apiVersion: ssmflow/v1' }],
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    return { errors: [{ file: fileName, line: 1, column: 1, path: '', message: (error as Error).message, fix: 'use fewer YAML aliases' }] };
  }
  const parsed = Runbook.safeParse(data);
  if (!parsed.success) {
    const errors = parsed.error.issues.flatMap((issue) =>
      schemaIssueToRunbookIssues(issue, data).map((runbookIssue) =>
        toRunbookError(fileName, doc, lineCounter, runbookIssue, issue.code === 'unrecognized_keys' || issue.code === 'invalid_key'),
      ),
    );
    return { errors: sortErrors(errors) };
  }
  const crossIssues = crossCheckRunbook(parsed.data);
  if (crossIssues.length > 0) {
    return { errors: sortErrors(crossIssues.map((issue) => toRunbookError(fileName, doc, lineCounter, issue, false))) };
  }
  const warnings = doubleQuotedPlaceholderWarnings(parsed.data).map((issue) => toRunbookError(fileName, doc, lineCounter, issue, false));
  return { runbook: parsed.data, normalized: normalizeRunbook(parsed.data), warnings: sortErrors(warnings) };
}

function yamlSyntaxFix(code: string, sourceLine: string): string {
  if (code === 'DUPLICATE_KEY') return 'remove or rename one of the duplicate keys';
  if (sourceLine.includes('{{')) {
    return "quote values that contain {{ templates }} inside { } or that start with them, e.g. parameterStore: '/db/{{ cluster }}/password'";
  }
  return 'fix the YAML syntax at this place (indentation, quotes, colons)';
}

function sortErrors(errors: RunbookError[]): RunbookError[] {
  return dedupe(errors).sort((a, b) => a.line - b.line || a.column - b.column);
}
