import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// `npm run dev` serves the UI with hot reload and forwards the API to a running Waymark
// (`waymark demo` by default; WAYMARK_URL picks another).
const target = process.env.WAYMARK_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, assetsDir: "assets", chunkSizeWarningLimit: 2000 },
  server: {
    proxy: Object.fromEntries(
      ["/api", "/v1", "/v2", "/metrics", "/healthz"].map((p) => [p, { target, changeOrigin: false }]),
    ),
  },
  test: { environment: "jsdom", include: ["src/**/*.test.ts", "src/**/*.test.tsx"] },
});
