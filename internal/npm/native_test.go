package npm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkNative on hand-made trees: which packages need a build, and that
// optional ones and ones npm did not flag are let through.
func TestCheckNative(t *testing.T) {
	for _, tc := range []struct {
		name     string
		files    map[string]string // relative to the package directory
		optional bool
		flagged  bool // hasInstallScript in the lockfile
		want     string
	}{
		{"binding.gyp", map[string]string{"binding.gyp": "{}", "package.json": `{"name":"p"}`}, false, true, "it has a binding.gyp"},
		{"gypfile", map[string]string{"package.json": `{"name":"p","gypfile":true}`}, false, true, `"gypfile": true`},
		{"prebuild-install", map[string]string{"package.json": `{"name":"p","scripts":{"install":"prebuild-install || node-gyp rebuild"}}`}, false, true, "its install script runs node-gyp"},
		{"node-pre-gyp postinstall", map[string]string{"package.json": `{"name":"p","scripts":{"postinstall":"node-pre-gyp install --fallback-to-build"}}`}, false, true, "its postinstall script runs node-pre-gyp"},
		{"a harmless postinstall", map[string]string{"package.json": `{"name":"p","scripts":{"postinstall":"node -e \"console.log('thanks')\""}}`}, false, true, ""},
		{"optional native", map[string]string{"binding.gyp": "{}", "package.json": `{"name":"p"}`}, true, true, ""},
		{"not flagged by npm", map[string]string{"binding.gyp": "{}", "package.json": `{"name":"p"}`}, false, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			pkg := filepath.Join(dir, "node_modules", "p")
			if err := os.MkdirAll(pkg, 0o700); err != nil {
				t.Fatal(err)
			}
			for name, body := range tc.files {
				if err := os.WriteFile(filepath.Join(pkg, name), []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			l := lockfile{Packages: map[string]lockfilePackage{
				"":                  {},
				"node_modules/p":    {Version: "1.2.3", HasInstallScript: tc.flagged, Optional: tc.optional},
				"node_modules/gone": {Version: "1.0.0", HasInstallScript: true}, // not installed on this platform
			}}
			err := checkNative(dir, l)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Package != "p" || !strings.Contains(e.Message, "p@1.2.3 needs a native build") || !strings.Contains(e.Message, tc.want) {
				t.Fatalf("got %v, want a refusal of p saying %q", err, tc.want)
			}
		})
	}
}
