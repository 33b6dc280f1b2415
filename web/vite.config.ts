import { defineConfig } from 'vitest/config'
import react from '@vitejs/plugin-react'

// The build is embedded in the spectask binary (crate spectask-web) and checked to be the one built
// from these sources, so it must be reproducible: no timestamps, no absolute paths in the output.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    assetsDir: 'assets',
  },
  server: {
    // `npm run dev` talks to a running `spectask serve` (or `spectask demo`).
    proxy: { '/api': 'http://127.0.0.1:7070' },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
  },
})
