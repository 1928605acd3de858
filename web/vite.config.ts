import { defineConfig, type Plugin } from "vite";
import { readdirSync, rmSync, mkdirSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

// The build goes straight into the Go package that embeds it. That
// directory keeps a committed .keep file so a fresh clone compiles without
// a build (go:embed needs one file); Vite's own emptyOutDir would delete it,
// so this plugin empties everything else instead.
const outDir = resolve(dirname(fileURLToPath(import.meta.url)), "../internal/dashboard/dist");
function cleanKeepingPlaceholder(): Plugin {
  return {
    name: "clean-keeping-placeholder",
    apply: "build",
    buildStart() {
      mkdirSync(outDir, { recursive: true });
      for (const name of readdirSync(outDir)) {
        if (name !== ".keep") rmSync(join(outDir, name), { recursive: true, force: true });
      }
    },
  };
}

export default defineConfig({
  plugins: [cleanKeepingPlaceholder()],
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir,
    emptyOutDir: false,
    assetsDir: "assets",
    // One origin, no inline code: the CSP allows only 'self' scripts.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    // `npm run dev` against a local `tokenhook serve` on :8080.
    proxy: { "/api": "http://127.0.0.1:8080", "/dashboard/api": "http://127.0.0.1:8080", "/oauth": "http://127.0.0.1:8080" },
  },
});
