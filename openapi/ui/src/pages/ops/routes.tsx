import type { VNode } from 'preact';
import type { Principal } from '../../api.js';
import type { MessageKey } from '../../i18n.js';
import type { Route } from '../../route.js';
import { AuditPage } from './audit.js';
import { ConflictsPage } from './conflicts.js';
import { ConnectorsPage } from './connectors.js';
import { DeadLettersPage } from './dead-letters.js';
import { LineagePage } from './lineage.js';
import { Forbidden, OpsNav, isAdmin, mayAudit } from './shell.js';
import './ops.css';

/** The operations console's pages: nav entries (shown to who may use them) and the page of a route. */
export interface NavEntry {
  readonly path: readonly string[];
  readonly label: MessageKey;
  readonly visible: (me: Principal) => boolean;
}

export const OPS_NAV: readonly NavEntry[] = [
  { path: ['ops', 'connectors'], label: 'nav.ops', visible: isAdmin },
  // Auditors read the audit trail and nothing else of the console.
  { path: ['ops', 'audit'], label: 'nav.audit', visible: (me) => !isAdmin(me) && mayAudit(me) },
];

/**
 * The page of an `#/ops/...` route, or undefined for other routes. A user who may not use a page
 * gets a refusal and none of the page (the API would refuse its calls too).
 */
export function opsPage(route: Route, me: Principal): VNode | undefined {
  const [first, tab = 'connectors', ...rest] = route.path;
  if (first !== 'ops') return undefined;
  if (tab === 'audit') return mayAudit(me) ? withNav(me, tab, <AuditPage query={route.query} />) : <Forbidden />;
  if (!isAdmin(me)) return <Forbidden />;
  switch (tab) {
    case 'dead-letters':
      return withNav(me, tab, <DeadLettersPage query={route.query} />);
    case 'conflicts':
      return withNav(me, tab, <ConflictsPage query={route.query} />);
    case 'lineage':
      return withNav(me, tab, <LineagePage entity={rest[0]} id={rest[1]} />);
    default:
      return withNav(me, 'connectors', <ConnectorsPage />);
  }
}

function withNav(me: Principal, current: string, page: VNode): VNode {
  return (
    <div class="ops">
      <OpsNav me={me} current={current} />
      {page}
    </div>
  );
}
