import { type ParameterStore } from './parameter-store.js';

const SSM_REFERENCE = /\{\{ *ssm:[/\w.:-]+ *\}\}/g;

/**
 * The agent's `{{ssm:name}}` / `{{ssm:name:version}}` resolution against the fleet's Parameter
 * Store, with its error messages: unknown names fail the whole document, and SecureString
 * references are refused.
 */
export function resolveSsmReferences(texts: readonly string[], store: ParameterStore): { values: string[] } | { error: string } {
  const refs = new Set<string>();
  for (const t of texts) for (const m of t.matchAll(SSM_REFERENCE)) refs.add(m[0]);
  if (refs.size === 0) return { values: [...texts] };
  const resolved = new Map<string, string>();
  const invalid: string[] = [];
  const secure: string[] = [];
  for (const ref of refs) {
    const name = ref.replace(/^\{\{ *ssm:/, '').replace(/ *\}\}$/, '');
    let found;
    try {
      found = store.find(name);
    } catch {
      found = undefined;
    }
    if (!found) invalid.push(name);
    else if (found.type === 'SecureString') secure.push(found.name);
    else resolved.set(ref, found.value);
  }
  if (invalid.length > 0) return { error: `Input contains invalid parameters [${invalid.join(' ')}]` };
  if (secure.length > 0) return { error: `Parameters [${secure.join(' ')}] of type SecureString are not supported` };
  return { values: texts.map((t) => t.replace(SSM_REFERENCE, (ref) => resolved.get(ref) ?? ref)) };
}
