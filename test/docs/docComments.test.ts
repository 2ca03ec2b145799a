/**
 * Every function and class the package exports has a doc comment, so an editor shows what it
 * does on hover. Checked with the TypeScript compiler on the public entry point.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..', '..');

/** Exported names whose declaration is a function or a class and has no doc comment. */
function undocumentedExports(entry: string): string[] {
  const program = ts.createProgram([entry], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  if (!source) throw new Error(`cannot read ${entry}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${entry} is not a module`);
  const missing: string[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declarations = symbol.getDeclarations() ?? [];
    const callable = declarations.filter(
      (declaration) =>
        ts.isFunctionDeclaration(declaration) ||
        ts.isClassDeclaration(declaration) ||
        (ts.isVariableDeclaration(declaration) && declaration.initializer !== undefined && (ts.isArrowFunction(declaration.initializer) || ts.isFunctionExpression(declaration.initializer))),
    );
    if (callable.length === 0) continue;
    const documented = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim().length > 0;
    if (!documented) missing.push(`${exported.getName()} (${declarations[0].getSourceFile().fileName.replace(`${ROOT}/`, '')})`);
  }
  return missing.sort();
}

test('every exported function and class has a doc comment', () => {
  const missing = undocumentedExports(join(ROOT, 'src', 'index.ts'));
  assert.deepEqual(missing, [], `undocumented: ${missing.join(', ')}`);
});
