import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every .ts file under a folder of the project, as a path relative to the root. */
const sourcesUnder = (folder: string): string[] =>
  readdirSync(join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));

/** The module specifiers a file imports or re-exports (static and dynamic). */
const importsOf = (file: string): string[] => {
  const text = readFileSync(join(root, file), 'utf8');
  const pattern =
    /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  return [...text.matchAll(pattern)].map((match) => match[1] ?? match[2] ?? '');
};

/** The project folder an import lands in: `#local/x` → local, `../../cli/y` → cli, a package → undefined. */
const folderOf = (file: string, specifier: string): string | undefined => {
  if (specifier.startsWith('#')) return specifier.slice(1).split('/')[0];
  if (!specifier.startsWith('.')) return undefined;
  return relative(root, resolve(root, dirname(file), specifier)).split('/')[0];
};

/** Lines of code: neither blank nor only a comment. */
const linesOfCode = (file: string): number =>
  readFileSync(join(root, file), 'utf8')
    .split('\n')
    .filter((line) => {
      const text = line.trim();
      return text !== '' && !text.startsWith('//') && !text.startsWith('*') && !text.startsWith('/*');
    }).length;

/** Every function (declarations, methods, arrows) of a file with its length in lines, first to last. */
const functionsOf = (file: string): Array<{ at: string; lines: number }> => {
  const source = ts.createSourceFile(
    file,
    readFileSync(join(root, file), 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
  const found: Array<{ at: string; lines: number }> = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      found.push({ at: `${file}:${first + 1}`, lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
};

describe('the layout', () => {
  it('keeps shared/ free of imports from functions/, infra/, local/, cli/ and bench/', () => {
    // Prepare
    const forbidden = new Set(['functions', 'infra', 'local', 'cli', 'bench', 'test']);

    // Act
    const crossings = sourcesUnder('shared').flatMap((file) =>
      importsOf(file)
        .filter((specifier) => forbidden.has(folderOf(file, specifier) ?? ''))
        .map((specifier) => `${file} imports ${specifier}`),
    );

    // Assert
    expect(crossings).toEqual([]);
  });

  it('sees an import that crosses the boundary (the check itself works)', () => {
    // Act / Assert
    expect(folderOf('shared/invite/batch.ts', '#local/aws.ts')).toBe('local');
    expect(folderOf('shared/invite/batch.ts', '../../cli/args.ts')).toBe('cli');
    expect(folderOf('shared/invite/batch.ts', './close.ts')).toBe('shared');
    expect(folderOf('shared/invite/batch.ts', '@aws-sdk/client-sqs')).toBeUndefined();
  });

  it('keeps every function of shared/ and functions/ within 60 lines', () => {
    // Act
    const long = [...sourcesUnder('shared'), ...sourcesUnder('functions')]
      .flatMap(functionsOf)
      .filter(({ lines }) => lines > 60);

    // Assert
    expect(long).toEqual([]);
  });

  it('measures a function from its first line to its last', () => {
    // Act
    const measured = functionsOf('test/architecture/boundaries.test.ts').find(({ at }) => at.endsWith(':10'));

    // Assert: sourcesUnder, lines 10 to 13 of this file.
    expect(measured?.lines).toBe(4);
  });

  it('keeps every module of shared/ and functions/ within 300 lines of code', () => {
    // Act
    const large = [...sourcesUnder('shared'), ...sourcesUnder('functions')]
      .map((file) => ({ file, lines: linesOfCode(file) }))
      .filter(({ lines }) => lines > 300);

    // Assert
    expect(large).toEqual([]);
  });
});
