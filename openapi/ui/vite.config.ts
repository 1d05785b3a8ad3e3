import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The built-in web UI's own small build (docs/architecture.md: Preact + openapi-fetch, built by Vite).
 * Relative asset URLs (`base: './'`) so the same files work wherever the hub is mounted; nothing is
 * fetched from a CDN; no inline script, so the hub's Content-Security-Policy can forbid it.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
