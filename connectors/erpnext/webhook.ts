import { createHmac, timingSafeEqual } from 'node:crypto';
import { HubError, UnprocessableError } from '../../core/errors.js';
import type { ExternalRecord, WebhookDelivery, WebhookRequest } from '../contract.js';

/**
 * Frappe's own webhooks (Integrations → Webhook). With *Enable Security* set, Frappe signs each call
 * with the webhook's secret: the header `X-Frappe-Webhook-Signature` holds the base64 HMAC-SHA256 of
 * the body (frappe/integrations/doctype/webhook/webhook.py, `get_webhook_headers`). The body is what
 * the webhook's request template renders; the hub expects one document, as `{{ doc.as_json() }}`
 * renders it, whose `doctype` names the external entity.
 */

/** The header Frappe sends the signature in. */
export const FRAPPE_SIGNATURE_HEADER = 'X-Frappe-Webhook-Signature';
const HEADER_POINTER = `/headers/${FRAPPE_SIGNATURE_HEADER.toLowerCase()}`;

function badSignature(detail: string): HubError {
  return new HubError('invalid_signature', 401, `The ${FRAPPE_SIGNATURE_HEADER} signature does not match`, [{ pointer: HEADER_POINTER, detail }]);
}

/** True when `given` (base64) is the HMAC-SHA256 of `body` under `secret`; compared in constant time. */
export function frappeSignatureMatches(secret: string, body: Buffer, given: string): boolean {
  const expected = createHmac('sha256', secret).update(body).digest();
  const text = given.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return false;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === expected.length && timingSafeEqual(bytes, expected);
}

/**
 * Verifies and reads a Frappe webhook call for a connector reading `doctypes`. A document the
 * connector's lists would not return (`wanted`: a draft of a submittable doctype, a payment to a
 * supplier) is accepted and carries no change, so a webhook on every save never creates from a
 * draft; a delete (`$deleted`, the on_trash template) always passes.
 */
export function readFrappeWebhook(request: WebhookRequest, doctypes: readonly string[], wanted: (doctype: string, doc: Readonly<Record<string, unknown>>) => boolean = () => true): WebhookDelivery {
  const signature = request.headers[FRAPPE_SIGNATURE_HEADER.toLowerCase()];
  if (signature === undefined || signature === '') throw badSignature(`is missing (set Enable Security and a Webhook Secret on the webhook in ERPNext)`);
  if (!frappeSignatureMatches(request.secret, request.body, signature)) throw badSignature('does not match the body under the configured secret');
  let body: unknown;
  try {
    body = JSON.parse(request.body.toString('utf8'));
  } catch {
    throw new UnprocessableError('The webhook body is not JSON', [{ pointer: '', detail: 'is not valid JSON' }]);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new UnprocessableError('The webhook body is not a document', [{ pointer: '', detail: 'must be one document as a JSON object (request template {{ doc.as_json() }})' }]);
  }
  const doctype = (body as { doctype?: unknown }).doctype;
  if (typeof doctype !== 'string' || doctype === '') {
    throw new UnprocessableError('The webhook body names no doctype', [{ pointer: '/doctype', detail: 'is required: the document\'s doctype (request template {{ doc.as_json() }})' }]);
  }
  if (!doctypes.includes(doctype)) {
    throw new UnprocessableError(`The connector does not read the doctype ${doctype.slice(0, 140)}`, [{ pointer: '/doctype', detail: `must be one of ${doctypes.join(', ')}` }]);
  }
  const doc = body as ExternalRecord;
  return { entity: doctype, records: doc['$deleted'] === true || wanted(doctype, doc) ? [doc] : [] };
}
