import type { Comparison } from './compare.js';
import type { ScenarioResult } from './scenario.js';

/** The table per scenario and the summary of a run. */

function row(label: string, c: Comparison | null, r: ScenarioResult): string[] {
  const dl = c ? `${c.deadLetters}${c.deadLetters ? ` (${Object.entries(c.deadLetterCodes).map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}${r.allowDeadLetters ? ' allowed' : ''}` : '-';
  const visible = r.visible === null ? `n/a: ${r.seen}` : `${r.visible ? 'yes' : 'NO'}: ${r.seen}`;
  return [
    label,
    c ? String(c.expected) : '-',
    c ? String(c.inHub) : '-',
    c ? String(c.atTarget) : '-',
    c ? String(c.duplicated) : '-',
    c ? String(c.lost) : '-',
    c ? String(c.stale) : '-',
    dl,
    r.convergeSeconds === null ? 'timeout' : r.convergeSeconds.toFixed(1),
    visible,
  ];
}

const HEAD = ['scenario', 'expected', 'in hub', 'at target', 'duplicated', 'lost', 'stale', 'dead letters', 'converge s', 'visible while faulted'];

function table(rows: string[][]): string {
  const widths = HEAD.map((h, i) => Math.min(i === HEAD.length - 1 ? 100 : i === 7 ? 70 : 40, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (c.length > widths[i]! ? `${c.slice(0, widths[i]! - 1)}…` : c.padEnd(widths[i]!))).join(' | ')} |`;
  return [line(HEAD), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function scenarioTable(r: ScenarioResult): string {
  const rows = [row(r.name, r.comparison, r)];
  if (r.afterReplay) rows.push(row(`${r.name} (after DLQ replay)`, r.afterReplay, r));
  const out = [table(rows)];
  out.push(`verdict: ${r.failures.length ? `FAIL: ${r.failures.join('; ')}` : 'pass'} (${r.seconds.toFixed(0)} s; logs ${r.logDir})`);
  const c = r.afterReplay ?? r.comparison;
  if (c) {
    for (const [kind, list] of Object.entries(c.examples)) if (list.length) out.push(`  ${kind}: ${list.join(' | ')}`);
    if (c.extra) out.push(`  target documents with an unknown hub code: ${c.extra}`);
  }
  return out.join('\n');
}

export function summaryTable(results: readonly ScenarioResult[]): string {
  const rows = results.map((r) => row(r.name, r.afterReplay ?? r.comparison, r));
  const verdicts = results.map((r) => `  ${r.failures.length ? 'FAIL' : 'pass'}  ${r.name}${r.failures.length ? `: ${r.failures.join('; ')}` : ''}`);
  return `${table(rows)}\n${verdicts.join('\n')}`;
}
