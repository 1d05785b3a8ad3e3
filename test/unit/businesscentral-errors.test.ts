import { describe, expect, it } from 'vitest';
import { bcFailure, payloadValues, safeBcMessage } from '../../connectors/businesscentral/errors.js';

/**
 * Business Central's error messages keep BC's wording and lose every record value. The messages are
 * the documented ones (Microsoft Learn, "Troubleshooting REST API/OData calls", the table of AL
 * runtime exceptions, OData error codes and messages), plus two quoting a customer's name.
 */

const DOCUMENTED: readonly (readonly [message: string, safe: string, values: readonly string[]])[] = [
  ["An incompatible property definition already exists for 'Allowed_Companies_0.Name'", 'An incompatible property definition already exists for …', ['Allowed_Companies_0']],
  ["Control 'Last Date Modified' is read-only", 'Control … is read-only', []],
  ["Field 'taxable' must not be blank or empty.", 'Field … must not be blank or empty.', []],
  ['There is no Cust. Ledger Entry within the filter.', 'There is no Cust. Ledger Entry within the filter.', []],
  ["The Acc. Sched. KPI Web srv. Setup does not exist. Identification fields and values: Primary Key=''", 'The Acc. Sched. … Web srv. Setup does not exist. Identification fields and values: …', []],
  ['The field Account No. of table Gen. Journal Line contains a value (ABL001) that cannot be found in the related table (Vendor).', 'The field Account No. of table Gen. Journal Line contains a value (…) that cannot be found in the related table (…).', ['ABL001']],
  ["The Attachment Entity Buffer already exists. Identification fields and values: Document Id='{DAC3AB2F-5FEA-4AD2-A663-EF832F270A7B}',Id='{00000000-0000-0000-0000-000000000000}'", 'The Attachment Entity Buffer already exists. Identification fields and values: …', ['DAC3AB2F']],
  ["The tenant 'msca1a7355t05263373' is not accessible", 'The tenant … is not accessible', ['msca1a7355t05263373']],
  ['You cannot delete Item 1000 because there is at least one outstanding Sales Quote that includes this item.', 'You cannot delete Item … because there is at least one outstanding Sales Quote that includes this item.', ['1000']],
  ['A customerNumber or a customerID must be provided.', 'A customerNumber or a customerID must be provided.', []],
  ['You may not enter numbers manually. If you want to enter numbers manually, please activate Manual Nos. in No. Series FA.', 'You may not enter numbers manually. If you want to enter numbers manually, please activate Manual Nos. in No. Series ….', [' FA']],
  ['The "amount" should be a negative number.', 'The … should be a negative number.', []],
  ['The value "Depreciation" cannot be evaluated into type Option.', 'The value … cannot be evaluated into type Option.', ['Depreciation']],
  ['The length of the string is 57, but it must be less than or equal to 50 characters. Value: JACKSBORO PUMP & SPECIALTY BRIDGEPORT PUMP & SUPPLY, INC. ', 'The length of the string is …, but it must be less than or equal to … characters. Value: …', ['JACKSBORO', 'SUPPLY']],
  ['The filter "=\'SELLACRE24_W%2FOORINGS\'" is not valid for the No. field on the Item table. The length of the string is 22, but it must be less than or equal to 20 characters. Value: SELLACRE24_W%2FOORINGS', 'The filter … is not valid for the No. field on the Item table. The length of the string is …, but it must be less than or equal to … characters. Value: …', ['SELLACRE24']],
  ["Balance must be equal to '0'  in G/L Account: No.=10100. Current value is '1,638.4'. Customer Posting Group must have a value in Customer: No.=C00690. It cannot be zero or empty.", 'Balance must be equal to … in … Account: No.=…. Current value is …', ['10100', '1,638.4', 'C00690']],
  ['Customer Posting Group must have a value in Customer: No.=C00690. It cannot be zero or empty.', 'Customer Posting Group must have a value in Customer: No.=…. It cannot be zero or empty.', ['C00690']],
  ["'Invalid Type' is not an option. The existing options are: Inventory,Service,Non-Inventory  CorrelationId:  x.", '… is not an option. The existing options are: Inventory,Service,Non-Inventory', ['Invalid Type']],
  ['Web service call failed because user could not be authenticated or authorized.  CorrelationId:  0e82377d-b2af-437d-be1d-71c99ea29421.', 'Web service call failed because user could not be authenticated or authorized. (CorrelationId 0e82377d-b2af-437d-be1d-71c99ea29421)', []],
  // A value of the record sent is cut wherever it stands, quoted or not, in any case.
  ['The field Name of table Customer contains a value (Acme Widgets GmbH) that cannot be found in the related table (Contact).', 'The field Name of table Customer contains a value (…) that cannot be found in the related table (…).', ['Acme']],
  ['acme widgets gmbh is blocked for shipping.', '… is blocked for shipping.', ['acme']],
];

describe('Business Central error messages', () => {
  it.each(DOCUMENTED)('%s', (message, safe, values) => {
    const out = safeBcMessage(message, payloadValues({ displayName: 'Acme Widgets GmbH', lines: [{ number: 'X1' }] }));
    expect(out).toBe(safe);
    for (const v of values) expect(out.toLowerCase()).not.toContain(v.toLowerCase());
  });

  it('classifies by BC code and status: validation, duplicates, stale etags, throttling, server trouble', () => {
    const f = (status: number, code: string, retryAfter?: string) => bcFailure('customers PATCH', status, { error: { code, message: 'm' } }, retryAfter, [], 0);
    expect(f(400, 'Application_DialogException')).toMatchObject({ kind: 'permanent', code: 'validation', bcCode: 'Application_DialogException' });
    expect(f(400, 'Internal_InvalidTableRelation')).toMatchObject({ kind: 'permanent', code: 'validation' });
    expect(f(400, 'Internal_EntityWithSameKeyExists')).toMatchObject({ kind: 'permanent', code: 'duplicate' });
    expect(f(404, 'Internal_RecordNotFound')).toMatchObject({ kind: 'permanent', code: 'not_found' });
    expect(f(400, 'BadRequest_InvalidToken')).toMatchObject({ kind: 'permanent', code: 'bad_request' });
    expect(f(409, 'Request_EntityChanged')).toMatchObject({ kind: 'retryable', code: 'entity_changed' });
    expect(f(412, 'Unknown')).toMatchObject({ kind: 'retryable', code: 'entity_changed' });
    expect(f(401, 'Authentication_InvalidCredentials')).toMatchObject({ kind: 'permanent', code: 'unauthorized' });
    expect(f(403, 'Authorization_InsufficientPermissions')).toMatchObject({ kind: 'permanent', code: 'forbidden' });
    expect(f(500, 'Internal_ServerError')).toMatchObject({ kind: 'retryable', code: 'server_error' });
    expect(f(400, 'Internal_TenantUnavailable')).toMatchObject({ kind: 'retryable', code: 'server_error' });
    for (const status of [408, 429, 503, 504]) expect(f(status, 'Unknown', '3')).toMatchObject({ kind: 'retryable', retryAfterMs: 3000 });
    // A code that does not look like one is not echoed.
    expect(bcFailure('items POST', 400, { error: { code: 'Acme <b>', message: 'x' } }, undefined).message).toBe('Business Central answered items POST with 400: x');
  });
});
