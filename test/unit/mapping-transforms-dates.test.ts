import { describe, expect, it } from 'vitest';
import { type TransformSpec } from '../../mappings/engine/transforms.js';
import { compile, run, refused, out, BERLIN , type Rec } from './transform-helpers.js';

describe('formatDate', () => {
  const fmt = (format: string, timeZone?: string): TransformSpec => ({ formatDate: timeZone ? { format, timeZone } : { format } });
  const FULL = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX";

  it('formats datetimes in UTC by default', () => {
    expect(run(fmt('dd.MM.yyyy HH:mm'), '2026-01-15T08:05:09.123Z')).toBe('15.01.2026 08:05');
    expect(run(fmt(FULL), '2026-01-15T08:05:09.123Z')).toBe('2026-01-15T08:05:09.123Z');
    expect(run(fmt("yyyyMMdd'_'HHmmss"), '2026-01-15T08:05:09Z')).toBe('20260115_080509');
    expect(run(fmt("'at' HH 'o''clock'"), '2026-01-15T08:05:09Z')).toBe("at 08 o'clock");
    expect(run(fmt("dd''MM"), '2026-01-15T08:05:09Z')).toBe("15'01");
    expect(run(fmt('iso'), '2026-01-15T09:05:09+01:00')).toBe('2026-01-15T08:05:09.000Z');
    expect(run(fmt('epoch_ms'), '1970-01-01T00:00:01.5Z')).toBe(1500);
    expect(run(fmt('epoch_s'), '1969-12-31T23:59:59.5Z')).toBe(-1);
    expect(run(fmt('yyyy-MM-dd'), new Date(Date.UTC(2026, 1, 28, 23, 0)))).toBe('2026-02-28');
    expect(run(fmt('yyyy'), null)).toBeNull();
    expect(run(fmt('yyyy'), undefined)).toBeUndefined();
  });

  it('converts across the Europe/Berlin spring DST switch', () => {
    expect(run(fmt(FULL, BERLIN), '2026-03-29T00:59:59Z')).toBe('2026-03-29T01:59:59.000+01:00');
    expect(run(fmt(FULL, BERLIN), '2026-03-29T01:00:00Z')).toBe('2026-03-29T03:00:00.000+02:00');
    expect(run(fmt('iso', BERLIN), '2026-10-25T00:30:00Z')).toBe('2026-10-25T02:30:00.000+02:00');
    expect(run(fmt('iso', BERLIN), '2026-10-25T01:30:00Z')).toBe('2026-10-25T02:30:00.000+01:00');
  });

  it('crosses the date line', () => {
    const at = '2026-06-30T10:30:00Z';
    expect(run(fmt('yyyy-MM-dd HH:mm XXX', 'Pacific/Kiritimati'), at)).toBe('2026-07-01 00:30 +14:00');
    expect(run(fmt('yyyy-MM-dd HH:mm XXX', 'Pacific/Pago_Pago'), at)).toBe('2026-06-29 23:30 -11:00');
    expect(run(fmt('yyyy-MM-dd HH:mm XXX', 'Asia/Kolkata'), at)).toBe('2026-06-30 16:00 +05:30');
  });

  it('keeps calendar dates unshifted', () => {
    expect(run(fmt('dd.MM.yyyy', 'Pacific/Kiritimati'), '2026-02-28')).toBe('28.02.2026');
    expect(run(fmt('dd.MM.yyyy', 'Pacific/Pago_Pago'), '2026-02-28')).toBe('28.02.2026');
    expect(run(fmt('iso', BERLIN), '2026-02-28')).toBe('2026-02-28');
    expect(run(fmt(FULL, BERLIN), '2026-07-01')).toBe('2026-07-01T00:00:00.000+02:00');
    // epoch formats take local midnight in the zone
    expect(run(fmt('epoch_ms'), '2026-01-01')).toBe(Date.UTC(2026, 0, 1));
    expect(run(fmt('epoch_s', BERLIN), '2026-01-01')).toBe(Date.UTC(2025, 11, 31, 23) / 1000);
  });

  it('refuses values that are not dates or timestamps', () => {
    refused(fmt('yyyy'), 'yesterday', 'formatDate: value is not an ISO 8601 date or timestamp');
    refused(fmt('yyyy'), '', 'formatDate: value is not an ISO 8601 date or timestamp');
    refused(fmt('yyyy'), '2026-02-30', 'formatDate: value is not a valid date');
    refused(fmt('yyyy'), '2026-02-03T24:00:00Z', 'formatDate: value is not a valid time');
    refused(fmt('yyyy'), '2026-02-03T10:00:00', 'formatDate: value is a timestamp without an offset');
    refused(fmt('yyyy'), '2026-02-03T10:00:00+25:00', 'formatDate: value has an invalid offset');
    refused(fmt('yyyy'), 1767225600000, 'formatDate: value is not a date or timestamp');
    refused(fmt('yyyy'), new Date(Number.NaN), 'formatDate: value is out of the supported range (years 1 to 9999)');
    refused(fmt('yyyy', 'Pacific/Kiritimati'), '9999-12-31T23:00:00Z', 'formatDate: value is out of the supported range (years 1 to 9999)');
  });

  it('declares date/datetime/string → string, or integer for epoch formats', () => {
    expect(out(fmt('yyyy'), 'date')).toBe('string');
    expect(out(fmt('iso'), 'datetime')).toBe('string');
    expect(out(fmt('epoch_ms'), 'datetime')).toBe('integer');
    expect(out(fmt('epoch_s'), 'any')).toBe('integer');
    expect(out(fmt('yyyy'), 'integer')).toEqual({ error: 'formatDate expects date, datetime or string, got integer' });
  });
});

describe('parseDate', () => {
  const parse = (format: string, extra: Rec = {}): TransformSpec => ({ parseDate: { format, ...extra } });

  it('parses patterns to UTC timestamps or dates', () => {
    expect(run(parse('dd.MM.yyyy HH:mm:ss.SSS'), '15.01.2026 08:05:09.123')).toBe('2026-01-15T08:05:09.123Z');
    expect(run(parse('yyyyMMdd'), '20260115')).toBe('2026-01-15T00:00:00.000Z');
    expect(run(parse('yyyyMMdd', { to: 'date' }), '20260115')).toBe('2026-01-15');
    expect(run(parse("yyyy-MM-dd'T'HH:mmXXX"), '2026-01-15T08:05+05:30')).toBe('2026-01-15T02:35:00.000Z');
    expect(run(parse("yyyy-MM-dd'T'HH:mmXXX", { timeZone: BERLIN }), '2026-01-15T08:05Z')).toBe('2026-01-15T08:05:00.000Z');
    expect(run(parse('dd/MM/yyyy'), '29/02/2024')).toBe('2024-02-29T00:00:00.000Z');
    expect(run(parse('yyyy-MM-dd'), null)).toBeNull();
    expect(run(parse('yyyy-MM-dd'), undefined)).toBeUndefined();
  });

  it('parses iso and epoch formats', () => {
    expect(run(parse('iso'), '2026-01-15T09:05:09.1234567+01:00')).toBe('2026-01-15T08:05:09.123Z');
    expect(run(parse('iso'), '2026-01-15')).toBe('2026-01-15T00:00:00.000Z');
    expect(run(parse('iso', { timeZone: BERLIN }), '2026-01-15T09:05')).toBe('2026-01-15T08:05:00.000Z');
    expect(run(parse('iso'), '2026-01-15 09:05:09+0100')).toBe('2026-01-15T08:05:09.000Z');
    expect(run(parse('epoch_ms'), 1500)).toBe('1970-01-01T00:00:01.500Z');
    expect(run(parse('epoch_s'), '-1')).toBe('1969-12-31T23:59:59.000Z');
    expect(run(parse('epoch_s', { to: 'date', timeZone: 'Pacific/Kiritimati' }), Date.UTC(2026, 5, 30, 10) / 1000)).toBe('2026-07-01');
  });

  it('resolves the Europe/Berlin spring gap and autumn overlap with the earlier offset', () => {
    const berlin = parse('yyyy-MM-dd HH:mm', { timeZone: BERLIN });
    // 02:30 does not exist on 2026-03-29: read with the pre-transition offset +01:00 → 03:30 CEST.
    expect(run(berlin, '2026-03-29 02:30')).toBe('2026-03-29T01:30:00.000Z');
    expect(run(berlin, '2026-03-29 01:59')).toBe('2026-03-29T00:59:00.000Z');
    expect(run(berlin, '2026-03-29 03:00')).toBe('2026-03-29T01:00:00.000Z');
    // 02:30 happens twice on 2026-10-25: the first occurrence (CEST, +02:00) wins.
    expect(run(berlin, '2026-10-25 02:30')).toBe('2026-10-25T00:30:00.000Z');
    expect(run(berlin, '2026-10-25 01:59')).toBe('2026-10-24T23:59:00.000Z');
    expect(run(berlin, '2026-10-25 03:00')).toBe('2026-10-25T02:00:00.000Z');
    // An explicit offset settles the ambiguity.
    expect(run(parse('yyyy-MM-dd HH:mmXXX', { timeZone: BERLIN }), '2026-10-25 02:30+01:00')).toBe('2026-10-25T01:30:00.000Z');
    // Dates are calendar dates: no round trip through the zone.
    expect(run(parse('yyyy-MM-dd HH:mm', { timeZone: BERLIN, to: 'date' }), '2026-03-29 02:30')).toBe('2026-03-29');
  });

  it('handles date-line zones', () => {
    expect(run(parse('yyyy-MM-dd HH:mm', { timeZone: 'Pacific/Kiritimati' }), '2026-07-01 00:30')).toBe('2026-06-30T10:30:00.000Z');
    expect(run(parse('yyyy-MM-dd HH:mm', { timeZone: 'Pacific/Pago_Pago' }), '2026-06-29 23:30')).toBe('2026-06-30T10:30:00.000Z');
    // Kiritimati skipped 1994-12-31 entirely (−10:00 → +14:00): the gap rule moves it forward a day.
    expect(run(parse('yyyy-MM-dd HH:mm', { timeZone: 'Pacific/Kiritimati' }), '1994-12-31 12:00')).toBe('1994-12-31T22:00:00.000Z');
    expect(run(parse('iso', { timeZone: 'Pacific/Kiritimati', to: 'date' }), '2026-06-30T10:30:00Z')).toBe('2026-07-01');
    expect(run(parse('iso', { timeZone: 'Pacific/Pago_Pago', to: 'date' }), '2026-06-30T10:30:00Z')).toBe('2026-06-29');
  });

  it('refuses impossible dates and times, mismatches and wrong types', () => {
    const p = parse('yyyy-MM-dd HH:mm');
    refused(parse('yyyy-MM-dd'), '2026-02-30', 'parseDate: value is not a valid date');
    refused(parse('yyyy-MM-dd'), '2025-02-29', 'parseDate: value is not a valid date');
    refused(parse('yyyy-MM-dd'), '2026-13-01', 'parseDate: value is not a valid date');
    refused(parse('yyyy-MM-dd'), '0000-01-01', 'parseDate: value is not a valid date');
    refused(p, '2026-02-03 25:00', 'parseDate: value is not a valid time');
    refused(p, '2026-02-03 24:00', 'parseDate: value is not a valid time');
    refused(p, '2026-02-03 23:60', 'parseDate: value is not a valid time');
    refused(p, '2026-02-03', 'parseDate: value does not match the format');
    refused(p, '2026-02-03 10:00 ', 'parseDate: value does not match the format');
    refused(p, '', 'parseDate: value does not match the format');
    refused(p, 20260203, 'parseDate: value is not a string');
    refused(parse("yyyy-MM-dd'T'HH:mmXXX"), '2026-02-03T10:00+19:00', 'parseDate: value has an invalid offset');
    refused(parse('iso'), 'tomorrow', 'parseDate: value is not an ISO 8601 date or timestamp');
    refused(parse('epoch_ms'), 1.5, 'parseDate: value is not an integer');
    refused(parse('epoch_ms'), '12abc', 'parseDate: value is not an integer');
    refused(parse('epoch_ms'), 8.64e15, 'parseDate: value is out of the supported range (years 1 to 9999)');
    refused(parse('yyyy-MM-dd', { timeZone: BERLIN }), '0001-01-01', 'parseDate: value is out of the supported range (years 1 to 9999)');
  });

  it('declares its input and output types', () => {
    expect(out(parse('yyyy-MM-dd'), 'string')).toBe('datetime');
    expect(out(parse('yyyy-MM-dd', { to: 'date' }), 'any')).toBe('date');
    expect(out(parse('yyyy-MM-dd'), 'integer')).toEqual({ error: 'parseDate expects string, got integer' });
    expect(out(parse('epoch_s'), 'integer')).toBe('datetime');
    expect(out(parse('epoch_s'), 'decimal')).toEqual({ error: 'parseDate expects integer or string, got decimal' });
  });

  it('round-trips with formatDate through a DST zone', () => {
    const f = compile({ formatDate: { format: 'dd.MM.yyyy HH:mm:ss', timeZone: BERLIN } });
    const p = compile({ parseDate: { format: 'dd.MM.yyyy HH:mm:ss', timeZone: BERLIN } });
    for (const at of ['2026-03-29T00:59:59.000Z', '2026-03-29T01:00:00.000Z', '2026-10-25T00:59:59.000Z', '2026-07-01T12:00:00.000Z']) {
      expect(p.fn(f.fn(at, { record: {} }), { record: {} })).toBe(at);
    }
  });
});
