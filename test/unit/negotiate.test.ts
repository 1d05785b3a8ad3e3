import { describe, expect, it } from 'vitest';
import { HubError } from '../../core/errors.js';
import { negotiate, parseAccept } from '../../openapi/app/negotiate.js';

const OFFERED = ['application/json', 'text/csv'];

describe('content negotiation (RFC 9110 §12.5.1)', () => {
  it('answers in the default without an Accept, and in what Accept rates highest', () => {
    expect(negotiate(undefined, OFFERED)).toBe('application/json');
    expect(negotiate('', OFFERED)).toBe('application/json');
    expect(negotiate('text/csv', OFFERED)).toBe('text/csv');
    expect(negotiate('TEXT/CSV; charset=utf-8', OFFERED)).toBe('text/csv');
    expect(negotiate('*/*', OFFERED)).toBe('application/json');
    expect(negotiate('*', OFFERED)).toBe('application/json');
    expect(negotiate('text/*', OFFERED)).toBe('text/csv');
    expect(negotiate('application/json;q=0.4, text/csv;q=0.8', OFFERED)).toBe('text/csv');
    expect(negotiate('text/csv;q=0.5, application/json;q=0.5', OFFERED)).toBe('application/json'); // a tie: the default
    expect(negotiate('text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8', OFFERED)).toBe('application/json'); // a browser
  });

  it('lets the most specific range decide: */* does not bring back what a specific range refuses', () => {
    expect(negotiate('*/*, application/json;q=0', OFFERED)).toBe('text/csv');
    expect(negotiate('text/*;q=0, */*', OFFERED)).toBe('application/json');
  });

  it('is a 406 naming the header when nothing offered is acceptable', () => {
    for (const accept of ['application/xml', 'application/problem+json', 'text/csv;q=0, application/json;q=0', 'nonsense']) {
      let error: unknown;
      try {
        negotiate(accept, OFFERED);
      } catch (e) {
        error = e;
      }
      expect(error, accept).toBeInstanceOf(HubError);
      expect((error as HubError).status).toBe(406);
      expect((error as HubError).errors).toEqual([{ pointer: '/header/Accept', detail: 'must accept application/json or text/csv' }]);
    }
  });

  it('reads q values and leaves out ranges that do not parse', () => {
    expect(parseAccept('text/csv;q=0.25, bad, */json, application/json')).toEqual([
      { type: 'text', subtype: 'csv', q: 0.25 },
      { type: 'application', subtype: 'json', q: 1 },
    ]);
  });
});
