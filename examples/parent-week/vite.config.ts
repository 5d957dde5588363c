// Built into the gateway's package data: the demo serves gateway/static/parent-week/ at
// /example/ (see gateway/pages.py), so the bundle is committed and needs no build to run.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/example/',
  plugins: [react()],
  build: {
    outDir: '../../gateway/static/parent-week',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
});
