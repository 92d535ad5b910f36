import { defineConfig } from 'vite';

// Built into dist/console, served by the api at /console (SPEC §14).
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  build: { outDir: '../../dist/console', emptyOutDir: true, sourcemap: false },
});
