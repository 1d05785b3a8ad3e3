// Copies the non-TypeScript files the built package reads at run time next to the compiled code.
import { copyFileSync, cpSync, existsSync, mkdirSync, chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
mkdirSync('dist/openapi', { recursive: true });
copyFileSync('openapi/openapi.yaml', 'dist/openapi/openapi.yaml');
// The same document as JSON, written after the YAML copy (so not older): the spec loader reads it
// instead of parsing the YAML (≈ 0.5 s) at every start and CLI command.
writeFileSync('dist/openapi/openapi.json', JSON.stringify(parseYaml(readFileSync('openapi/openapi.yaml', 'utf8'))));
mkdirSync('dist/core/policy', { recursive: true });
copyFileSync('core/policy/default-policy.yaml', 'dist/core/policy/default-policy.yaml');
// Each connector module's default mappings (connectors/<type>/mappings/), next to its compiled module.
for (const type of readdirSync('connectors')) {
  if (existsSync(`connectors/${type}/mappings`)) cpSync(`connectors/${type}/mappings`, `dist/connectors/${type}/mappings`, { recursive: true });
}
chmodSync('dist/hub/cli/hub.js', 0o755);
