// Builds the dashboard (ui/) into dist/ui, served by the deployment daemon at /ui/ (docs/dashboard.md).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./ui', import.meta.url)),
  base: '/ui/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('./dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // One small page: keep everything in one hashed script and one stylesheet, nothing inlined as data: URLs.
    assetsInlineLimit: 0,
  },
});
