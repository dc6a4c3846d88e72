// `{{ name }}` references inside runbook strings. Only a bare word between the braces is a
// reference; anything else (Docker's `{{.State.Status}}`, SSM's own `{{ssm:/name}}`) is plain text
// and reaches the instance untouched.

/** Parameter names: letters, digits and underscores, starting with a letter. */
export const PARAMETER_NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_]*$';

// A bare word, hyphens included, so that `{{ to-version }}` is reported as an unknown parameter
// instead of silently passing through as text.
const referencePattern = /\{\{\s*([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}/g;

export interface TemplateReference {
  name: string;
  /** Offset of the opening braces in the string. */
  index: number;
  /** The whole `{{ name }}` text. */
  text: string;
}

export function findTemplateReferences(text: string): TemplateReference[] {
  return [...text.matchAll(referencePattern)].map((match) => ({
    name: match[1] ?? '',
    index: match.index,
    text: match[0],
  }));
}

/** Replaces every `{{ name }}` with `replace(name)`; leaves other text as it is. */
export function replaceTemplateReferences(text: string, replace: (name: string) => string): string {
  return text.replace(referencePattern, (_whole, name: string) => replace(name));
}
