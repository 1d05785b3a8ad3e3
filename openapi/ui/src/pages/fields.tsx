import type { ComponentChildren } from 'preact';
import { t } from '../i18n.js';

/**
 * A field as the API projected it: absent → a lock saying the field is restricted (never a value),
 * masked/hashed → the projected text with the lock, else the formatted value.
 */
export function looksProjected(value: unknown): boolean {
  return typeof value === 'string' && (value.startsWith('***') || value.startsWith('h1:') || value.startsWith('enc1:') || /^[^@\s]\*{3}@/.test(value));
}

export function Restricted() {
  return (
    <span class="restricted" title={t('restricted')} aria-label={t('restricted')} role="img">
      <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
        <path fill="currentColor" d="M4.5 7V5a3.5 3.5 0 0 1 7 0v2h.5A1 1 0 0 1 13 8v6a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1h.5Zm1.5 0h4V5a2 2 0 1 0-4 0v2Z" />
      </svg>
    </span>
  );
}

export function Value(props: { record: Record<string, unknown>; field: string; format?: ((v: unknown) => ComponentChildren) | undefined }) {
  if (!(props.field in props.record)) return <Restricted />;
  const v = props.record[props.field];
  if (v === null || v === undefined || v === '') return <span class="none">—</span>;
  if (looksProjected(v)) return <span class="masked">{String(v)} <Restricted /></span>;
  return <>{props.format ? props.format(v) : String(v)}</>;
}
