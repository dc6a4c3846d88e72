// The documentation must stand on its own in a fresh clone: no file may point at notes outside the
// repository, and every relative link in the docs must lead to a file that exists. A static scan.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../local/project-root.js';

/** Tracked files, without the committed workflow histories (recorded data, not prose or code). */
function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: projectRoot, encoding: 'utf8' })
    .split('\0')
    .filter((path) => path !== '' && !path.startsWith('node_modules/') && !path.startsWith('.tools/'))
    .filter((path) => !path.startsWith('test/histories/'));
}

// Spelled in pieces, so this file does not match itself.
const outsidePaths = [['', 'work', 'shared'].join('/'), ['..', 'shared', ''].join('/')];

const isCheckedMarkdown = (path: string) =>
  path === 'README.md' || /^docs\/[^/]+\.md$/.test(path) || path === 'fleet/README.md' || /^runbooks\/(.+\/)?README\.md$/.test(path);

/** The targets of inline links `[text](target)` outside code, as written. */
function markdownLinkTargets(markdown: string): string[] {
  const prose = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(\s*(?:<([^>\n]*)>|([^)\s]+))(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? m[2] ?? '');
}

/** A link to a file of this repository: not a URL, not an anchor in the same page. */
const isRelativeLink = (target: string) => target !== '' && !target.startsWith('#') && !/^[a-z][a-z0-9+.-]*:/i.test(target);

describe('documentation links', () => {
  const files = trackedFiles();

  it('no tracked file points at notes outside the repository', () => {
    const offenders: string[] = [];
    for (const path of files) {
      const full = join(projectRoot, path);
      if (!existsSync(full) || !lstatSync(full).isFile()) continue;
      const text = readFileSync(full);
      for (const outside of outsidePaths) if (text.includes(outside)) offenders.push(`${path} mentions ${outside}`);
    }
    expect(offenders).toEqual([]);
  });

  it('every relative link in the docs leads to an existing file', () => {
    const markdown = files.filter(isCheckedMarkdown);
    expect(markdown).toContain('docs/ssm-semantics.md');
    const broken: string[] = [];
    for (const path of markdown) {
      for (const target of markdownLinkTargets(readFileSync(join(projectRoot, path), 'utf8')).filter(isRelativeLink)) {
        const file = decodeURIComponent(target.replace(/[?#].*$/, ''));
        const resolved = normalize(join(dirname(path), file));
        if (resolved.startsWith('..') || !existsSync(join(projectRoot, resolved))) broken.push(`${path}: (${target})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('finds links the way a reader sees them', () => {
    const sample = [
      'See [the doc](docs/a.md#part), [a site](https://example.com) and [here](#top).',
      '`[not a link](nowhere.md)`',
      '```',
      '[in a block](missing.md)',
      '```',
      '[titled](<b c.md> "Title")',
    ].join('\n');
    expect(markdownLinkTargets(sample)).toEqual(['docs/a.md#part', 'https://example.com', '#top', 'b c.md']);
    expect(markdownLinkTargets(sample).filter(isRelativeLink)).toEqual(['docs/a.md#part', 'b c.md']);
  });
});
