// Copies the non-TypeScript files the built package reads at run time next to the compiled code.
import { copyFileSync, cpSync, mkdirSync, chmodSync } from 'node:fs';
mkdirSync('dist/openapi', { recursive: true });
copyFileSync('openapi/openapi.yaml', 'dist/openapi/openapi.yaml');
mkdirSync('dist/core/policy', { recursive: true });
copyFileSync('core/policy/default-policy.yaml', 'dist/core/policy/default-policy.yaml');
cpSync('mappings/defaults', 'dist/mappings/defaults', { recursive: true });
chmodSync('dist/core/cli/hub.js', 0o755);
