package dashboard

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// dist is the build output of web/ (make build). The directory is
// git-ignored except for dist/.keep, which lets a fresh clone compile:
// go:embed needs at least one file, and "all:" includes dot files.
//
//go:embed all:dist
var dist embed.FS

// contentSecurityPolicy allows nothing from another origin and no inline
// script or style. CodeMirror injects its styles as constructed style
// sheets (adoptedStyleSheets), which style-src does not govern.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// appFS returns the built UI, or nil when the binary was built without it.
func appFS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil
	}
	if _, err := fs.Stat(sub, "index.html"); err != nil {
		return nil
	}
	return sub
}

// pageHeaders are the headers of every page and asset of the UI.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// ServeIndex answers GET / with the single-page application (its routes
// live in the URL fragment, so / is the only page), or with instructions
// when the binary was built without it.
func (d *Dashboard) ServeIndex(w http.ResponseWriter, r *http.Request) {
	pageHeaders(w)
	// The page names hashed assets; it must be revalidated so a new build
	// is picked up at once.
	w.Header().Set("Cache-Control", "no-cache")
	if d.app == nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(placeholderPage))
		return
	}
	http.ServeFileFS(w, r, d.app, "index.html")
}

// ServeAsset answers GET /assets/...: Vite names them by content hash, so
// they may be cached for good.
func (d *Dashboard) ServeAsset(w http.ResponseWriter, r *http.Request) {
	pageHeaders(w)
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	if d.app == nil || !strings.HasPrefix(name, "assets/") {
		http.NotFound(w, r)
		return
	}
	if st, err := fs.Stat(d.app, name); err != nil || st.IsDir() {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	http.ServeFileFS(w, r, d.app, name)
}

const placeholderPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tokenhook</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<h1>tokenhook is running</h1>
<p>This binary was built without the dashboard. Build it with <code>make build</code>
(it runs <code>npm ci --prefix web &amp;&amp; npm run build --prefix web</code>, then <code>go build</code>)
and start the new binary, or run <code>make run</code>.</p>
<p>The token endpoint is <code>POST /oauth/token</code>, the Management API is at <code>/api/v2/</code>,
discovery at <code>/.well-known/openid-configuration</code>.</p>
</body></html>
`
