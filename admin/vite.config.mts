import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// The console is served by Rollcall itself under /admin; `npm run dev:admin` serves it with hot reload and forwards
// /graphql to a Rollcall running on ROLLCALL_URL (default http://127.0.0.1:3000).
export default defineConfig({
  root,
  base: '/admin/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/admin', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 600,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    proxy: { '/graphql': process.env.ROLLCALL_URL ?? 'http://127.0.0.1:3000' },
  },
});
