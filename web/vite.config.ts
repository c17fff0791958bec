/// <reference types="vitest/config" />
// One build, two single-page apps: the storefront (index.html → /) and the admin console
// (admin/index.html → /admin/). nginx serves dist/ on the API's origin, so the SameSite=Strict
// refresh cookie travels. `npm run dev` proxies /api and /sandbox to a running `make up` stack
// (MERIDIAN_ORIGIN, default https://localhost:8443).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const origin = process.env.MERIDIAN_ORIGIN ?? "https://localhost:8443";
const proxied = { target: origin, changeOrigin: true, secure: false };

export default defineConfig({
  plugins: [react()],
  build: {
    manifest: true,
    sourcemap: false,
    rollupOptions: {
      input: { store: fileURLToPath(new URL("index.html", import.meta.url)), admin: fileURLToPath(new URL("admin/index.html", import.meta.url)) },
    },
  },
  server: { proxy: { "/api": proxied, "/sandbox": proxied } },
  test: { environment: "jsdom", include: ["src/**/*.test.{ts,tsx}"] },
});
