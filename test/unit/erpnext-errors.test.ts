import { describe, expect, it } from 'vitest';
import { plainText, readFrappeError, safeDetail, safeSentence, serverMessages } from '../../connectors/erpnext/errors.js';

/**
 * The rule for Frappe's human messages: a sentence is passed on only when it fits one of the templates
 * Frappe builds from doctype names, field labels and row numbers (frappe/model/base_document.py,
 * document.py, rate_limiter.py …); the values an update-after-submit quotes are cut; anything else is
 * dropped, and so is a sentence holding a text value of the request sent.
 */

const list = (...messages: unknown[]) => JSON.stringify(messages.map((m) => JSON.stringify(m)));

describe('Frappe error messages', () => {
  it.each([
    ['Error: Value missing for Customer: Customer Name', 'Error: Value missing for Customer: Customer Name'],
    ['Error: <strong>Sales Order Item</strong> Row #2: Value missing for: Item Code', 'Error: Sales Order Item Row #2: Value missing for: Item Code'],
    ['Error: Data missing in table: Items', 'Error: Data missing in table: Items'],
    ['Row #1: Not allowed to change <strong>Rate</strong> after submission from <strong>10.0</strong> to <strong>12.0</strong>', 'Row #1: Not allowed to change Rate after submission'],
    ['Cannot edit cancelled document', 'Cannot edit cancelled document'],
    ['Cannot change docstatus from 1 (Submitted) to 0 (Draft)', 'Cannot change docstatus from 1 (Submitted) to 0 (Draft)'],
    ['You hit the rate limit because of too many requests. Please try after sometime.', 'You hit the rate limit because of too many requests. Please try after sometime.'],
    ['Insufficient Permission for Sales Order', 'Insufficient Permission for Sales Order'],
    ['Hub Code must be unique', 'Hub Code must be unique'],
    ['Only one <strong>Email ID</strong> can be set as primary.', 'Only one Email ID can be set as primary.'],
    ['Error: Document has been modified after you have opened it (2026-11-20 09:00:00, 2026-11-20 09:01:00). Please refresh to get the latest document.', 'Error: Document has been modified after you have opened it'],
  ])('keeps %j as %j', (message, safe) => {
    expect(safeSentence(message)).toBe(safe);
  });

  it.each([
    'Could not find Customer: Acme GmbH',
    "Duplicate entry 'C-7' for key 'custom_hub_code'",
    'Item <strong>W-1</strong> already exists',
    'Customer Acme GmbH not found',
    'Cannot delete or cancel because Sales Order <a href="/app/sales-order/SAL-ORD-1">SAL-ORD-1</a> is linked with Sales Invoice ACC-SINV-1',
    'Credit limit has been crossed for customer Acme GmbH (1200/1000)',
    'Error: Value missing for Customer: <script>x</script> Acme, Inc. <b>1000</b> "quoted"',
  ])('drops %j', (message) => {
    expect(safeSentence(message)).toBeUndefined();
  });

  it('reads _server_messages (JSON of JSON strings, or bare strings) and _error_message; never exception or exc', () => {
    const body = { exc_type: 'X', exception: 'frappe.exceptions.X: secret', exc: '["Traceback secret"]', _server_messages: list({ message: 'first', title: 'Message', indicator: 'red' }, 'second'), _error_message: 'third' };
    expect(serverMessages(body)).toEqual(['first', 'second', 'third']);
    expect(serverMessages({ _server_messages: 'not json' })).toEqual([]);
    expect(serverMessages('a string body')).toEqual([]);
  });

  it('joins the safe sentences, once each; drops one that holds a value the request sent', () => {
    const body = { _server_messages: list({ message: 'Cannot edit cancelled document' }, { message: 'Cannot edit cancelled document' }, { message: 'Error: Value missing for Item: Item Group' }) };
    expect(safeDetail(body)).toBe('Cannot edit cancelled document; Error: Value missing for Item: Item Group');
    expect(safeDetail(body, { item_group: 'item group', other: 12 })).toBe('Cannot edit cancelled document');
    expect(safeDetail({ _server_messages: list({ message: 'Customer Acme not found' }) })).toBeUndefined();
  });

  it('strips tags and decodes entities', () => {
    expect(plainText('Not allowed to change <strong>Terms &amp; Conditions</strong>&nbsp; now')).toBe('Not allowed to change Terms & Conditions now');
  });

  it('a RateLimitExceededError or DocumentLockedError is retryable; other answers only get their detail', () => {
    const header = (values: Record<string, string>) => (name: string) => values[name.toLowerCase()] ?? null;
    expect(readFrappeError({ status: 417, body: { exc_type: 'RateLimitExceededError' }, header: header({ 'retry-after': '30' }), sent: undefined })).toEqual({ kind: 'retryable', code: 'rate_limited', retryAfterMs: 30_000 });
    expect(readFrappeError({ status: 417, body: { exc_type: 'DocumentLockedError', _server_messages: list({ message: 'This document is currently queued for execution. Please try again' }) }, header: header({}), sent: undefined })).toEqual({
      kind: 'retryable',
      code: 'locked',
      detail: 'This document is currently queued for execution. Please try again',
    });
    expect(readFrappeError({ status: 417, body: { exc_type: 'ValidationError' }, header: header({}), sent: undefined })).toBeUndefined();
  });
});
