import { connectorConfigSchema } from '../../connectors/config.js';
import { systemNameSchema } from '../../core/config/sections.js';
import { sourceSchema, syncSectionSchema, targetSchema } from '../../queues/config.js';
import { feedNameSchema, feedSchema } from '../../queues/feeds/config.js';
import { configFileSchema, type ConfigFile } from './schema.js';

/**
 * What can still be checked of a configuration file that does not parse whole: every section that is
 * valid, and of `connectors` and `sync` every entry that is valid (and of `feeds`). The hub never starts from it (the
 * file's problems are reported); it lets the rest of the checks (policy, mappings, connector secrets,
 * webhook secrets, sync references) run in the same pass, so a newcomer's broken setup is reported
 * whole rather than one problem at a time. Sections that fail take their defaults; entries that fail
 * are left out, and their names are returned so that references to them are not reported twice.
 */
export function salvageConfigFile(data: unknown): { value: ConfigFile | undefined; declaredConnectors: string[] } {
  const raw = isObject(data) ? data : {};
  const declaredConnectors = isObject(raw['connectors']) ? Object.keys(raw['connectors']) : [];
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(configFileSchema.shape)) {
    const whole = schema.safeParse(raw[key]);
    if (whole.success) out[key] = whole.data;
    else if (key === 'connectors') out[key] = validEntries(raw[key], (v) => connectorConfigSchema.safeParse(v));
    else if (key === 'sync') out[key] = salvageSync(raw[key]);
    else if (key === 'feeds' && isObject(raw[key])) out[key] = validEntries(raw[key], (v) => feedSchema.safeParse(v), feedNameSchema);
    // Any other section that fails takes its default (its problems are already reported).
  }
  const parsed = configFileSchema.safeParse(out);
  return { value: parsed.success ? parsed.data : undefined, declaredConnectors };
}

function salvageSync(value: unknown): unknown {
  const raw = isObject(value) ? value : {};
  const relay = syncSectionSchema.unwrap().shape.relayIntervalMs.safeParse(raw['relayIntervalMs']);
  return {
    ...(relay.success ? { relayIntervalMs: relay.data } : {}),
    targets: validEntries(raw['targets'], (v) => targetSchema.safeParse(v)),
    sources: validEntries(raw['sources'], (v) => sourceSchema.safeParse(v)),
  };
}

/** The entries of a name → value record whose name and value are valid. */
function validEntries(value: unknown, parse: (v: unknown) => { success: boolean; data?: unknown }, names: { safeParse: (v: unknown) => { success: boolean } } = systemNameSchema): Record<string, unknown> {
  if (!isObject(value)) return {};
  const out: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(value)) {
    if (!names.safeParse(name).success) continue;
    const r = parse(entry);
    if (r.success) out[name] = r.data;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
