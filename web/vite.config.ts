/// <reference types="vitest/config" />
/**
 * Build, dev server and preview server of the citizen SPA.
 *
 * Locally the SPA reaches the API under `/api`, proxied to the Chalice server with the prefix stripped: production's
 * CloudFront routes `/api/*` to API Gateway the same way, so the SPA only ever uses relative `/api/...` URLs.
 */
import { defineConfig, type ProxyOptions } from 'vite'

function webPort(): number {
  const raw = process.env.WEB_PORT ?? '8080'
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`WEB_PORT must be a TCP port number, got ${JSON.stringify(raw)}`)
  }
  return port
}

const apiProxy: Record<string, ProxyOptions> = {
  '/api': {
    target: process.env.API_PROXY_TARGET ?? 'http://127.0.0.1:8000',
    changeOrigin: true,
    rewrite: (path) => path.replace(/^\/api(?=\/|\?|$)/, '') || '/',
  },
}

const listen = { host: '127.0.0.1', port: webPort(), strictPort: true, proxy: apiProxy }

export default defineConfig({
  // Preact's automatic JSX runtime, without the Babel-based preset (no HMR state keeping; not worth its weight here).
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // 'spa' makes both servers answer deep links such as /services/x with index.html.
  appType: 'spa',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Citizens join from old phones: lower the syntax to browsers from about 2020 (Safari 14 is the oldest iOS that
    // many of them still run), which every browser with ES module support since then understands.
    target: ['es2020', 'chrome87', 'edge88', 'firefox78', 'safari14'],
  },
  server: listen,
  preview: listen,
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
  },
})
