package dashboard

import (
	"bytes"
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
// script. CodeMirror injects its styles in a <style> element; instead of
// 'unsafe-inline', each page load gets a fresh nonce that the editor puts on
// that element (EditorView.cspNonce), read from a meta tag. Injected markup
// cannot know it, so it can add no style either.
func contentSecurityPolicy(styleNonce string) string {
	style := "style-src 'self'"
	if styleNonce != "" {
		style += " 'nonce-" + styleNonce + "'"
	}
	return "default-src 'self'; script-src 'self'; " + style + "; img-src 'self' data:; " +
		"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// appFS returns the built UI and its page, or nils when the binary was
// built without it.
func appFS() (fs.FS, []byte) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, nil
	}
	index, err := fs.ReadFile(sub, "index.html")
	if err != nil {
		return nil, nil
	}
	return sub, index
}

// pageHeaders are the headers of every page and asset of the UI.
func pageHeaders(w http.ResponseWriter, styleNonce string) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy(styleNonce))
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// ServeIndex answers GET / with the single-page application (its routes
// live in the URL fragment, so / is the only page), or with instructions
// when the binary was built without it.
func (d *Dashboard) ServeIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The page carries a per-response nonce and names hashed assets: never
	// cache it.
	w.Header().Set("Cache-Control", "no-store")
	if d.index == nil {
		pageHeaders(w, "")
		_, _ = w.Write([]byte(placeholderPage))
		return
	}
	nonce, err := randomToken(d.d.Rand)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	pageHeaders(w, nonce)
	page := bytes.Replace(d.index, []byte("</head>"), []byte(`<meta name="csp-nonce" content="`+nonce+`"></head>`), 1)
	_, _ = w.Write(page)
}

// ServeAsset answers GET /assets/...: Vite names them by content hash, so
// they may be cached for good.
func (d *Dashboard) ServeAsset(w http.ResponseWriter, r *http.Request) {
	pageHeaders(w, "")
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
