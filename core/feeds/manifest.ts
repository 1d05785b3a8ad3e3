/**
 * The manifest of a feed run and the names of its files. A run delivers, per format, the open
 * receivables and the per-customer totals, each with its detached signature, and the manifest last:
 *
 *   <feed>-<sequence>-receivables.csv        <feed>-<sequence>-receivables.csv.sig
 *   <feed>-<sequence>-customer-totals.csv    <feed>-<sequence>-customer-totals.csv.sig
 *   <feed>-<sequence>-receivables.jsonl      … (and .enc before .sig when encrypted)
 *   <feed>-<sequence>-manifest.json          <feed>-<sequence>-manifest.json.sig
 *
 * The sequence has at least six digits, so names sort in run order.
 */

export const FEED_FORMATS = ['csv', 'jsonl'] as const;
export type FeedFormat = (typeof FEED_FORMATS)[number];

export const FEED_CONTENTS = ['receivables', 'customer_totals'] as const;
export type FeedContent = (typeof FEED_CONTENTS)[number];

export const MANIFEST_VERSION = 'erp-crm-hub.feed/v1';
export const SIGNATURE_ALGORITHM = 'RSA-SHA256 (RSASSA-PKCS1-v1_5), detached, raw binary in <file>.sig';

export interface ManifestFile {
  readonly name: string;
  readonly content: FeedContent;
  readonly format: FeedFormat;
  /** Records (lines after the header). */
  readonly records: number;
  readonly bytes: number;
  /** SHA-256 of the file as delivered (the envelope, when encrypted), hex. */
  readonly sha256: string;
  readonly encrypted: boolean;
  /** SHA-256 of the decrypted file, when encrypted. */
  readonly plaintextSha256?: string;
  /** The detached signature's file name. */
  readonly signature: string;
}

export interface FeedManifest {
  readonly manifest: typeof MANIFEST_VERSION;
  readonly feed: string;
  /** Gap-free per feed, from 1: finance drops a sequence it has already taken. */
  readonly sequence: number;
  /** The date the receivables are aged as of (YYYY-MM-DD in `timeZone`). */
  readonly asOf: string;
  readonly timeZone: string;
  /** The policy receiver the records were projected for. */
  readonly receiver: string;
  readonly createdAt: string;
  /** Id of the hub key that signed every file and this manifest (see GET /api/v1/feeds/keys). */
  readonly keyId: string;
  readonly signatureAlgorithm: typeof SIGNATURE_ALGORITHM;
  readonly encryption: { readonly alg: 'RSA-OAEP-256'; readonly enc: 'A256GCM'; readonly recipientKeyId: string } | null;
  /** Open receivables in the feed. */
  readonly records: number;
  /** Customer × currency total rows. */
  readonly customerTotals: number;
  readonly files: readonly ManifestFile[];
}

/** The file part of a content: `customer_totals` → `customer-totals`. */
export const contentPart = (content: FeedContent): string => content.replace('_', '-');

/** The sequence as written in file names: at least six digits. */
export const sequenceText = (sequence: number): string => String(sequence).padStart(6, '0');

/** The delivered name of a file of a run: `<feed>-<sequence>-<base>`. */
export function runFileName(feed: string, sequence: number, base: string): string {
  return `${feed}-${sequenceText(sequence)}-${base}`;
}

/** The base name of a data file: `receivables.csv`, `customer-totals.jsonl.enc`. */
export function dataFileBase(content: FeedContent, format: FeedFormat, encrypted: boolean): string {
  return `${contentPart(content)}.${format}${encrypted ? '.enc' : ''}`;
}

const FILE_NAME = /^(.+)-(\d{6,})-(receivables|customer-totals|manifest)\.(csv|jsonl|json)(\.enc)?(\.sig)?$/;

/** What a delivered file's name says (feed, sequence, which file), or undefined for another name. */
export function parseRunFileName(name: string): { feed: string; sequence: number; base: string; signature: boolean } | undefined {
  const m = FILE_NAME.exec(name);
  if (!m) return undefined;
  const base = `${m[3]}.${m[4]}${m[5] ?? ''}`;
  if ((m[3] === 'manifest') !== (m[4] === 'json') || (m[3] === 'manifest' && m[5])) return undefined;
  return { feed: m[1]!, sequence: Number(m[2]), base, signature: m[6] !== undefined };
}

/** The manifest's text: JSON, two-space indented, one trailing newline (what is signed and hashed). */
export function manifestText(manifest: FeedManifest): string {
  return JSON.stringify(manifest, null, 2) + '\n';
}

/** Reads a manifest; throws TypeError naming what is missing. */
export function parseManifest(text: string): FeedManifest {
  const m = JSON.parse(text) as Partial<FeedManifest>;
  if (m.manifest !== MANIFEST_VERSION) throw new TypeError(`not a feed manifest (manifest must be ${MANIFEST_VERSION})`);
  if (typeof m.feed !== 'string' || !Number.isInteger(m.sequence) || typeof m.keyId !== 'string' || !Array.isArray(m.files)) throw new TypeError('the manifest lacks feed, sequence, keyId or files');
  for (const f of m.files) {
    if (typeof f?.name !== 'string' || !/^[0-9a-f]{64}$/.test(String(f?.sha256))) throw new TypeError('a file of the manifest lacks its name or SHA-256');
  }
  return m as FeedManifest;
}
