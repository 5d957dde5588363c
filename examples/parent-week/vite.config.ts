// Built into the gateway's package data: the demo serves gateway/static/parent-week/ at
// /example/ (see gateway/pages.py), so the bundle is committed and needs no build to run.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev`: the page's ../graphql and ../demo/personas.json go to a running demo.
const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8000';

export default defineConfig({
  base: '/example/',
  server: { proxy: { '/graphql': gateway, '/demo': gateway } },
  plugins: [react()],
  build: {
    outDir: '../../gateway/static/parent-week',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
});
