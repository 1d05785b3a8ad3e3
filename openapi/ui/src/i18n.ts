import { signal } from './state.js';

/**
 * English and Simplified Chinese. The choice is remembered in localStorage (a preference, not a
 * secret); money and dates are formatted for the chosen locale with Intl.
 */
export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

const en = {
  'app.title': 'ERP–CRM Sync Hub',
  'nav.customers': 'Customers',
  'nav.main': 'Main navigation',
  'nav.apiDocs': 'API docs',
  'language': 'Language',
  'signin.title': 'Sign in',
  'signin.username': 'Username',
  'signin.password': 'Password',
  'signin.submit': 'Sign in',
  'signin.expired': 'Your session has ended. Sign in again to continue where you were.',
  'signout': 'Sign out',
  'user.roles': 'Roles',
  'user.team': 'Team',
  'restricted': 'Restricted: your role may not see this field',
  'loading': 'Loading…',
  'empty': 'Nothing here.',
  'search': 'Search',
  'filter.status': 'Status',
  'filter.owner': 'Owner',
  'filter.team': 'Team',
  'filter.any': 'Any',
  'page.next': 'Next page',
  'page.first': 'First page',
  'customers.title': 'Customers',
  'customer.code': 'Code',
  'customer.name': 'Name',
  'customer.kind': 'Kind',
  'customer.status': 'Status',
  'customer.email': 'Email',
  'customer.phone': 'Phone',
  'customer.taxId': 'Tax id',
  'customer.currency': 'Currency',
  'customer.creditLimit': 'Credit limit',
  'customer.paymentTerms': 'Payment terms',
  'customer.industry': 'Industry',
  'customer.website': 'Website',
  'customer.ownerId': 'Owner',
  'customer.teamId': 'Team',
  'customer.back': 'Back to customers',
  'status.active': 'Active',
  'status.inactive': 'Inactive',
  'status.prospect': 'Prospect',
  'error.title': 'Something went wrong',
  'error.notFound': 'Not found',
  'error.forbidden': 'You may not see this.',
} as const;

export type MessageKey = keyof typeof en;

const zh: Record<MessageKey, string> = {
  'app.title': 'ERP–CRM 同步中心',
  'nav.customers': '客户',
  'nav.main': '主导航',
  'nav.apiDocs': 'API 文档',
  'language': '语言',
  'signin.title': '登录',
  'signin.username': '用户名',
  'signin.password': '密码',
  'signin.submit': '登录',
  'signin.expired': '会话已结束。请重新登录以继续。',
  'signout': '退出登录',
  'user.roles': '角色',
  'user.team': '团队',
  'restricted': '受限：您的角色无权查看此字段',
  'loading': '加载中…',
  'empty': '暂无数据。',
  'search': '搜索',
  'filter.status': '状态',
  'filter.owner': '负责人',
  'filter.team': '团队',
  'filter.any': '全部',
  'page.next': '下一页',
  'page.first': '第一页',
  'customers.title': '客户',
  'customer.code': '编码',
  'customer.name': '名称',
  'customer.kind': '类型',
  'customer.status': '状态',
  'customer.email': '电子邮件',
  'customer.phone': '电话',
  'customer.taxId': '税号',
  'customer.currency': '币种',
  'customer.creditLimit': '信用额度',
  'customer.paymentTerms': '付款条件',
  'customer.industry': '行业',
  'customer.website': '网站',
  'customer.ownerId': '负责人',
  'customer.teamId': '团队',
  'customer.back': '返回客户列表',
  'status.active': '活跃',
  'status.inactive': '停用',
  'status.prospect': '潜在',
  'error.title': '出错了',
  'error.notFound': '未找到',
  'error.forbidden': '您无权查看。',
};

const MESSAGES: Record<Locale, Record<MessageKey, string>> = { en, 'zh-CN': zh };
const STORAGE_KEY = 'hub.locale';

function initialLocale(): Locale {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved && (LOCALES as readonly string[]).includes(saved)) return saved as Locale;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export const locale = signal<Locale>(initialLocale());

export function setLocale(next: Locale): void {
  localStorage.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
  locale.set(next);
}

export function t(key: MessageKey): string {
  return MESSAGES[locale.get()][key];
}

/** A decimal string as money in the locale (the exact digits: no float rounding of the amount). */
export function money(amount: string, currency: string): string {
  const [whole = '0', frac = ''] = amount.replace(/^-/, '').split('.');
  const negative = amount.startsWith('-');
  const parts = new Intl.NumberFormat(locale.get(), { style: 'currency', currency, minimumFractionDigits: frac.length, maximumFractionDigits: frac.length }).formatToParts(0);
  const grouped = new Intl.NumberFormat(locale.get(), { useGrouping: true }).format(BigInt(whole));
  const decimal = parts.find((p) => p.type === 'decimal')?.value ?? '.';
  const number = frac ? `${grouped}${decimal}${frac}` : grouped;
  const symbol = parts.find((p) => p.type === 'currency')?.value ?? currency;
  const symbolFirst = parts.findIndex((p) => p.type === 'currency') < parts.findIndex((p) => p.type === 'integer');
  const body = symbolFirst ? `${symbol}${number}` : `${number} ${symbol}`;
  return negative ? `-${body}` : body;
}

/** A calendar date `YYYY-MM-DD` in the locale, without shifting it through a time zone. */
export function date(value: string): string {
  const [y, m, d] = value.split('-').map(Number);
  if (!y || !m || !d) return value;
  return new Intl.DateTimeFormat(locale.get(), { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** An instant in the locale and the browser's time zone. */
export function instant(value: string): string {
  return new Intl.DateTimeFormat(locale.get(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(value));
}
