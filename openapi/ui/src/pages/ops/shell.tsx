import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { Principal, Problem } from '../../api.js';
import { t, type MessageKey } from '../../i18n.js';
import { href } from '../../route.js';
import { hasRole } from '../../session.js';

/** The pieces every page of the operations console shares: its tabs, refusals, problems, dialogs and pager. */

export const isAdmin = (me: Principal) => hasRole(me, 'admin');
export const mayAudit = (me: Principal) => hasRole(me, 'admin', 'auditor');

const TABS: readonly { readonly path: string; readonly label: MessageKey; readonly adminOnly: boolean }[] = [
  { path: 'connectors', label: 'ops.tab.connectors', adminOnly: true },
  { path: 'dead-letters', label: 'ops.tab.deadLetters', adminOnly: true },
  { path: 'conflicts', label: 'ops.tab.conflicts', adminOnly: true },
  { path: 'lineage', label: 'ops.tab.lineage', adminOnly: true },
  { path: 'audit', label: 'ops.tab.audit', adminOnly: false },
];

/** The console's tabs (only those the user may open) and the links out: API docs, and for admins the queue board. */
export function OpsNav(props: { me: Principal; current: string }) {
  const admin = isAdmin(props.me);
  return (
    <nav class="ops-tabs" aria-label={t('ops.nav')}>
      <ul>
        {TABS.filter((tab) => admin || !tab.adminOnly).map((tab) => (
          <li key={tab.path}>
            <a href={href(['ops', tab.path])} aria-current={props.current === tab.path ? 'page' : undefined}>{t(tab.label)}</a>
          </li>
        ))}
      </ul>
      <ul class="ops-out">
        <li><a href="./docs/" target="_blank" rel="noopener">{t('ops.link.apiDocs')}</a></li>
        {admin && <li><a href="./admin/queues" target="_blank" rel="noopener">{t('ops.link.queueBoard')}</a></li>}
      </ul>
    </nav>
  );
}

/** What a user who may not use a page sees: a refusal, and nothing of the page (no request is made). */
export function Forbidden() {
  return (
    <section aria-labelledby="forbidden-title">
      <h1 id="forbidden-title">{t('error.forbidden')}</h1>
    </section>
  );
}

/** A problem+json answer for a person: its title, its detail, and each field error. */
export function ProblemNote(props: { problem: Problem | undefined }) {
  const p = props.problem;
  if (!p) return null;
  return (
    <div class="error" role="alert">
      <strong>{p.title}</strong>
      {p.detail && <span> — {p.detail}</span>}
      {p.errors && p.errors.length > 0 && (
        <ul>
          {p.errors.map((e) => (
            <li key={e.pointer}><code>{e.pointer}</code> {e.detail}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * A modal confirmation (`<dialog>` opened with showModal): focus moves into it and stays there,
 * Escape or Cancel closes it, the confirm button does the action. Cancel has the focus first, so a
 * stray Enter never confirms a destructive action.
 */
export function ConfirmDialog(props: {
  id: string;
  open: boolean;
  title: string;
  confirmLabel: string;
  busy?: boolean;
  danger?: boolean;
  onConfirm: () => void;
  onClose: () => void;
  children?: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) {
      d.showModal();
      cancel.current?.focus();
    }
    if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog ref={ref} class="confirm" aria-labelledby={`${props.id}-title`} aria-describedby={`${props.id}-body`} onClose={props.onClose} onCancel={props.onClose}>
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      <div id={`${props.id}-body`}>{props.children}</div>
      <div class="actions">
        <button type="button" class="secondary" ref={cancel} onClick={props.onClose}>{t('ops.cancel')}</button>
        <button type="button" class={props.danger ? 'danger' : undefined} disabled={props.busy} onClick={props.onConfirm}>{props.confirmLabel}</button>
      </div>
    </dialog>
  );
}

/** A wide table's frame: it scrolls sideways on a narrow screen, and can be scrolled by keyboard. */
export function Scroll(props: { label: string; children: ComponentChildren }) {
  return (
    <div class="scroll" role="region" aria-label={props.label} tabIndex={0}>
      {props.children}
    </div>
  );
}

/** First-page and next-page links of a list paged by the server's cursor. */
export function Pager(props: { path: readonly string[]; query: Record<string, string | undefined>; cursor: string; next: string | null | undefined; label: string }) {
  if (!props.cursor && !props.next) return null;
  return (
    <nav class="pager" aria-label={props.label}>
      {props.cursor && <a href={href(props.path, props.query)}>{t('page.first')}</a>}
      {props.next && <a href={href(props.path, { ...props.query, cursor: props.next })}>{t('page.next')}</a>}
    </nav>
  );
}

/** A form control wrapped in its label. */
export function Field(props: { label: string; children: ComponentChildren; hint?: string }) {
  return (
    <label>
      {props.label}
      {props.children}
      {props.hint && <small class="hint">{props.hint}</small>}
    </label>
  );
}
