import { defineConfig } from "vite";

// The console is static files the gateway serves at `/`; during `npm run dev` the API is
// proxied to a gateway on this machine (HSI_GATEWAY overrides where).
const gateway = process.env.HSI_GATEWAY ?? "http://127.0.0.1:8080";

export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    target: "es2022",
    outDir: "dist",
    assetsDir: "assets",
    sourcemap: false,
    // One small script: nothing is worth a second round trip on a phone.
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      "/api": gateway,
      "/ws": { target: gateway.replace(/^http/, "ws"), ws: true },
    },
  },
});
