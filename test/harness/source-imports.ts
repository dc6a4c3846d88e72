// Every relative import in the repository's sources, read with the TypeScript parser (a regular
// expression cannot tell `import type` apart reliably). For the architecture and image checks.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { projectRoot } from '../../local/project-root.js';

export interface SourceImport {
  /** The importing file, relative to the repository root (`client/cli.ts`). */
  file: string;
  /** As written (`../core/config.js`). */
  specifier: string;
  /** The imported file, relative to the repository root, `.js` read as `.ts` (`core/config.ts`). */
  target: string;
  /**
   * `type`: erased at run time; `static` and `dynamic`: `import`/`export … from` and `import()`;
   * `url`: `new URL('…', import.meta.url)`, a module loaded by path when it exists.
   */
  kind: 'type' | 'static' | 'dynamic' | 'url';
}

const isSource = (name: string) => /\.(ts|mts|mjs|js)$/.test(name);

/**
 * The TypeScript and JavaScript files below `folders`, or in the whole repository: those git
 * tracks or would track (a developer's ignored scratch files and the installed tools are not the
 * project's code).
 */
export function sourceFiles(folders?: readonly string[]): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', ...(folders ?? [])], {
    cwd: projectRoot,
    encoding: 'utf8',
  });
  const files = listed
    .split('\n')
    .filter((path) => isSource(path) && !path.startsWith('test/histories/') && existsSync(join(projectRoot, path)));
  return [...new Set(files)].sort();
}

function isTypeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node))
    return (
      node.isTypeOnly ||
      (node.exportClause !== undefined &&
        ts.isNamedExports(node.exportClause) &&
        node.exportClause.elements.length > 0 &&
        node.exportClause.elements.every((e) => e.isTypeOnly))
    );
  const clause = node.importClause;
  if (!clause) return false; // `import './x.js'` runs the module
  if (clause.isTypeOnly) return true;
  const named = clause.namedBindings;
  return (
    !clause.name &&
    named !== undefined &&
    ts.isNamedImports(named) &&
    named.elements.length > 0 &&
    named.elements.every((e) => e.isTypeOnly)
  );
}

/** The relative imports of one file (package imports are left out). */
export function importsOf(file: string): SourceImport[] {
  const text = readFileSync(join(projectRoot, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: SourceImport[] = [];
  const add = (specifier: string, kind: SourceImport['kind']) => {
    if (!specifier.startsWith('.')) return;
    const path = relative(projectRoot, resolve(projectRoot, dirname(file), specifier))
      .split(sep)
      .join('/');
    // Sources import each other as .js (NodeNext); compiled output (dist/) is imported as itself.
    const asSource = path.replace(/\.js$/, '.ts');
    const target = existsSync(join(projectRoot, asSource)) ? asSource : path;
    found.push({ file, specifier, target, kind });
  };
  const visit = (node: ts.Node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      add(node.moduleSpecifier.text, isTypeOnly(node) ? 'type' : 'static');
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      add(node.arguments[0].text, 'dynamic');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, 'type');
    } else if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'URL' &&
      node.arguments?.[0] &&
      ts.isStringLiteralLike(node.arguments[0]) &&
      node.arguments[1]?.getText() === 'import.meta.url'
    ) {
      // Only modules: a URL to a data file (a runbook, a schema) is not an import.
      if (isSource(node.arguments[0].text)) add(node.arguments[0].text, 'url');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The top-level folder of a repository path (`(root)` for files at the top). */
export function topFolder(path: string): string {
  return path.includes('/') ? (path.split('/')[0] ?? path) : '(root)';
}
