import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The boundary check: layers only point down, and no module imports itself in a circle. The layers,
 * bottom first (docs/architecture.md says why each sits where it does):
 *
 *   core        the model, store, policy, auth, configuration sections: the ground floor
 *   mappings    the mapping engine (reads the model and the policy)
 *   connectors  the connector contract and modules (drivers and HTTP clients from outside)
 *   queues      the sync engine (BullMQ): connectors and mappings, wired
 *   openapi     the HTTP API over core and the sync engine
 *   hub         the composition root: createHub, the CLI, the whole configuration
 *
 * Type-only imports count: a type from a higher layer is a dependency on it all the same.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

const LAYERS = ['core', 'mappings', 'connectors', 'queues', 'openapi', 'hub'] as const;
type Layer = (typeof LAYERS)[number];

/** What each layer may import besides itself. */
const ALLOWED: Readonly<Record<Layer, readonly Layer[]>> = {
  core: [],
  mappings: ['core'],
  connectors: ['core'],
  queues: ['core', 'mappings', 'connectors'],
  openapi: ['core', 'mappings', 'queues'],
  hub: ['core', 'mappings', 'connectors', 'queues', 'openapi'],
};

/** Packages that belong to a higher layer: core stays free of HTTP serving and of the queue. */
const FORBIDDEN_PACKAGES: Readonly<Partial<Record<Layer, readonly string[]>>> = {
  core: ['express', 'bullmq', '@bull-board/api', '@bull-board/express', 'swagger-ui-express', 'mssql'],
  mappings: ['express', 'bullmq'],
  connectors: ['express', 'bullmq'],
};

export type Graph = ReadonlyMap<string, readonly string[]>;

/** Every import of a source text: relative ones resolved to a repository path (`.ts`), packages as named. */
function importsOf(file: string, text: string): string[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map(({ fileName }) =>
    fileName.startsWith('.') ? normalize(join(dirname(file), fileName)).replace(/\.js$/, '.ts') : fileName,
  );
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...sourceFiles(path));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

export function repositoryGraph(): Graph {
  const graph = new Map<string, string[]>();
  for (const layer of LAYERS) for (const file of sourceFiles(layer)) graph.set(file, importsOf(file, readFileSync(join(ROOT, file), 'utf8')));
  return graph;
}

const layerOf = (path: string): Layer | undefined => LAYERS.find((l) => path === l || path.startsWith(`${l}/`));
const packageOf = (spec: string): string => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);

/** Imports that point up or sideways past the rules, and packages a layer may not use: one line each. */
export function layerViolations(graph: Graph): string[] {
  const out: string[] = [];
  for (const [file, imports] of graph) {
    const from = layerOf(file);
    if (!from) continue;
    for (const target of imports) {
      if (target.startsWith('node:')) continue;
      const to = layerOf(target);
      if (to !== undefined) {
        if (to !== from && !ALLOWED[from].includes(to)) out.push(`${file} imports ${target}: ${from}/ may not import ${to}/ (it may import ${ALLOWED[from].join(', ') || 'nothing but itself'})`);
      } else if (!target.startsWith('.') && !target.includes('/..') && (FORBIDDEN_PACKAGES[from] ?? []).includes(packageOf(target))) {
        out.push(`${file} imports the package ${target}, which ${from}/ may not use`);
      }
    }
  }
  return out;
}

/** The import circles (strongly connected components of more than one module, or a module importing itself). */
export function importCycles(graph: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

describe('the boundary check (layers point down, no import circles)', () => {
  const graph = repositoryGraph();

  it('reads the whole source tree', () => {
    for (const layer of LAYERS) expect([...graph.keys()].some((f) => layerOf(f) === layer), `no source file in ${layer}/`).toBe(true);
    expect(graph.size).toBeGreaterThan(100);
  });

  it('no layer imports a layer above it', () => {
    expect(layerViolations(graph)).toEqual([]);
  });

  it('no module imports itself through others', () => {
    expect(importCycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });

  it('every relative import names a file that exists', () => {
    const missing = [...graph].flatMap(([file, imports]) =>
      imports.filter((t) => t.startsWith('core/') || LAYERS.some((l) => t.startsWith(`${l}/`))).filter((t) => !graph.has(t) && !t.endsWith('.json') && !t.endsWith('.yaml')).map((t) => `${file} → ${t}`),
    );
    expect(missing).toEqual([]);
  });

  it('catches an upward import, a forbidden package and a circle (the check can fail)', () => {
    const bad = new Map<string, string[]>([
      ['core/store/x.ts', importsOf('core/store/x.ts', "import type { SyncEngine } from '../../queues/engine.js';\nimport express from 'express';")],
      ['mappings/engine/a.ts', importsOf('mappings/engine/a.ts', "export { b } from './b.js';")],
      ['mappings/engine/b.ts', importsOf('mappings/engine/b.ts', "const a = await import('./a.js');")],
      ['connectors/sql/y.ts', importsOf('connectors/sql/y.ts', "import { loadMappings } from '../../mappings/engine/load.js';")],
      ['hub/z.ts', importsOf('hub/z.ts', "import { SyncEngine } from '../queues/engine.js';")],
    ]);
    const violations = layerViolations(bad);
    expect(violations).toHaveLength(3);
    expect(violations[0]).toContain('core/ may not import queues/');
    expect(violations[1]).toContain('the package express');
    expect(violations[2]).toContain('connectors/ may not import mappings/');
    expect(importCycles(bad)).toEqual([['mappings/engine/a.ts', 'mappings/engine/b.ts']]);
  });

  it('the layer folders are the ones the build compiles', () => {
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    expect([...build.include].sort()).toEqual([...LAYERS].sort());
    expect(graph.has('hub/index.ts')).toBe(true);
  });
});
