import { SsmError } from './errors.js';

export type ParameterKind = 'String' | 'StringList' | 'Integer' | 'Boolean' | 'StringMap' | 'MapList';

export interface DocumentParameterSpec {
  type: ParameterKind;
  description?: string;
  default?: unknown;
  allowedValues?: string[];
  allowedPattern?: string;
}

const invalid = (message: string) => new SsmError('InvalidParameters', message);

/** Converts SendCommand's list-of-strings form to the document parameter's own type. */
function convert(name: string, spec: DocumentParameterSpec, values: readonly string[]): unknown {
  if (spec.type === 'StringList') return [...values];
  if (values.length !== 1) throw invalid(`Parameter ${name} of type ${spec.type} must have exactly one value.`);
  const v = values[0] ?? '';
  switch (spec.type) {
    case 'Integer':
      if (!/^-?\d+$/.test(v.trim())) throw invalid(`Parameter ${name} must be an Integer.`);
      return Number(v);
    case 'Boolean':
      if (!/^(true|false)$/i.test(v.trim())) throw invalid(`Parameter ${name} must be a Boolean.`);
      return v.trim().toLowerCase() === 'true';
    case 'StringMap':
    case 'MapList':
      try {
        return JSON.parse(v) as unknown;
      } catch {
        throw invalid(`Parameter ${name} must be a JSON ${spec.type}.`);
      }
    default:
      return v;
  }
}

const hasSsmReference = (v: unknown): boolean => /\{\{ *ssm:/.test(JSON.stringify(v) ?? '');

function checkAllowed(name: string, spec: DocumentParameterSpec, value: unknown): void {
  // {{ssm:...}} references are resolved by the agent, so their values are checked there.
  if (hasSsmReference(value)) return;
  const items = Array.isArray(value) ? value.map(String) : [String(value)];
  if (spec.allowedValues && items.some((i) => !spec.allowedValues?.includes(i))) {
    throw invalid(`Parameter value for ${name} is not one of the allowed values [${spec.allowedValues.join(', ')}].`);
  }
  if (spec.allowedPattern) {
    const re = new RegExp(spec.allowedPattern);
    if (items.some((i) => !re.test(i)))
      throw invalid(`Parameter value for ${name} does not match the allowed pattern ${spec.allowedPattern}`);
  }
}

/**
 * Service-side parameter check of SendCommand: undeclared or missing-required parameters are
 * InvalidParameters. Returns every declared parameter with its effective value (defaults applied).
 */
export function effectiveParameters(
  documentName: string,
  declared: Record<string, DocumentParameterSpec>,
  supplied: Record<string, readonly string[]>,
): Record<string, unknown> {
  const undeclared = Object.keys(supplied).filter((k) => !(k in declared));
  if (undeclared.length > 0) {
    throw invalid(`Parameters [${undeclared.join(', ')}] are not declared in document ${documentName}.`);
  }
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(declared)) {
    const given = supplied[name];
    if (given !== undefined) out[name] = convert(name, spec, given);
    else if (spec.default !== undefined) out[name] = spec.default;
    else throw invalid(`Missing required parameter ${name} of document ${documentName}.`);
    checkAllowed(name, spec, out[name]);
  }
  return out;
}

/**
 * Go's regexp.Expand, which the agent's ReplaceAllString applies to the substituted value:
 * `$$` becomes `$`, `$name`/`${name}` expand to a (here always absent) capture group, `$0` to
 * the whole `{{ p }}` match, and a lone malformed `$` stays as it is.
 */
export function goTemplateExpand(template: string, wholeMatch: string): string {
  let out = '';
  let rest = template;
  for (;;) {
    const at = rest.indexOf('$');
    if (at < 0) return out + rest;
    out += rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const brace = rest.startsWith('{');
    const body = brace ? rest.slice(1) : rest;
    const name = /^[\p{L}\p{Nd}_]+/u.exec(body)?.[0] ?? '';
    if (name === '' || (brace && body[name.length] !== '}')) {
      out += '$';
      continue;
    }
    rest = body.slice(name.length + (brace ? 1 : 0));
    if (/^\d+$/.test(name) && Number(name) === 0) out += wholeMatch;
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The agent's ReplaceParameters: a string that is exactly `{{ p }}` becomes p's raw value (a list
 * stays a list); embedded occurrences are replaced by the value's string (JSON for non-strings).
 */
export function substituteParameters(input: unknown, params: Record<string, unknown>): unknown {
  if (typeof input === 'string') {
    for (const [name, value] of Object.entries(params)) {
      if (new RegExp(`^\\{\\{\\s*${escapeRegExp(name)}\\s*\\}\\}$`).test(input)) return value;
    }
    let s = input;
    for (const [name, value] of Object.entries(params)) {
      const asText = typeof value === 'string' ? value : JSON.stringify(value);
      s = s.replace(new RegExp(`\\{\\{\\s*${escapeRegExp(name)}\\s*\\}\\}`, 'g'), (match) => goTemplateExpand(asText, match));
    }
    return s;
  }
  if (Array.isArray(input)) return input.map((v) => substituteParameters(v, params));
  if (typeof input === 'object' && input !== null) {
    return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, substituteParameters(v, params)]));
  }
  return input;
}
