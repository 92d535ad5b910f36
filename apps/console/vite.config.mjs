import { defineConfig } from 'vite';

// Built into dist/console, served by the api at /console (SPEC §14).
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  // elkjs (the DAG layout) is a large chunk of its own, loaded by the run page only.
  build: { outDir: '../../dist/console', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 2000 },
});
