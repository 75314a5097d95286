import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The layout's promises that no type checker keeps: no import cycle among the sources (a cycle makes the load order
 * decide which module sees `undefined`), and no service file large enough to hold several modules (issue 21; the
 * employee service had grown to 1,500 lines).
 */
const SRC = path.join(__dirname, '..', 'src');
const MAX_SERVICE_LINES = 600;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sources(file);
    return /\.tsx?$/.test(name) ? [file] : [];
  });
}

/** The files `file` imports for their values (`import type` is erased at compile time and cannot form a cycle). */
function valueImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/^(?:import|export)\s+(?!type\b)([^;]*?)\s+from\s+'(\.[^']+)'/gms)) {
    const names = match[1].trim();
    if (/^\{\s*type\s/.test(names) && !names.includes(',')) continue;
    const target = path.resolve(path.dirname(file), match[2]);
    const resolved = [`${target}.ts`, `${target}.tsx`, path.join(target, 'index.ts')].find((candidate) => {
      try {
        return statSync(candidate).isFile();
      } catch {
        return false;
      }
    });
    if (resolved) found.push(resolved);
  }
  return found;
}

/** Strongly connected components of more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(path.relative(SRC, w));
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

test('no import cycle among src files', () => {
  const files = sources(SRC);
  expect(files.length).toBeGreaterThan(50);
  const graph = new Map(files.map((file) => [file, valueImports(file)]));
  // The check can see a cycle: the employee facade imports its parts.
  expect(graph.get(path.join(SRC, 'services', 'employee.service.ts'))).toContain(path.join(SRC, 'services', 'employee', 'reads.ts'));
  expect(cycles(graph)).toEqual([]);
});

test('the cycle check finds a cycle when there is one', () => {
  const graph = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a']],
    ['d', ['a']],
  ]);
  expect(cycles(graph).map((c) => c.length)).toEqual([3]);
});

test(`no file in src/services is over ${MAX_SERVICE_LINES} lines`, () => {
  const long = sources(path.join(SRC, 'services'))
    .map((file) => ({ file: path.relative(SRC, file), lines: readFileSync(file, 'utf8').split('\n').length }))
    .filter(({ lines }) => lines > MAX_SERVICE_LINES);
  expect(long).toEqual([]);
});
