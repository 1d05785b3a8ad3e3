import type { VNode } from 'preact';
import type { Principal } from '../../api.js';
import type { MessageKey } from '../../i18n.js';
import type { Route } from '../../route.js';

/** The operations console's pages: nav entries (shown to who may use them) and the page of a route. */
export interface NavEntry {
  readonly path: readonly string[];
  readonly label: MessageKey;
  readonly visible: (me: Principal) => boolean;
}

export const OPS_NAV: readonly NavEntry[] = [];

export function opsPage(_route: Route, _me: Principal): VNode | undefined {
  return undefined;
}
