package layout

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// root is the repository's top directory (this package is internal/layout).
const root = "../.."

// packages lists the directories under cmd/ and internal/ that hold Go
// files, as slash paths relative to the root.
func packages(t *testing.T) []string {
	t.Helper()
	var dirs []string
	for _, top := range []string{"cmd", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				switch d.Name() {
				case "testdata", "node_modules", "dist":
					return filepath.SkipDir
				}
				if strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_") {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(d.Name(), ".go") {
				rel, err := filepath.Rel(root, filepath.Dir(path))
				if err != nil {
					return err
				}
				if rel = filepath.ToSlash(rel); !slices.Contains(dirs, rel) {
					dirs = append(dirs, rel)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(dirs) < 10 {
		t.Fatalf("found only %d packages under %s: is the root right?", len(dirs), root)
	}
	return dirs
}

func TestEveryPackageHasDocGo(t *testing.T) {
	for _, dir := range packages(t) {
		if _, err := os.Stat(filepath.Join(root, dir, "doc.go")); err != nil {
			t.Errorf("%s has no doc.go: say there what the package owns and why", dir)
		}
	}
}

// mapRow matches a row of the package map: | `internal/x` | owns |.
var mapRow = regexp.MustCompile("^\\| `([^`]+)` \\|")

func TestArchitectureMapNamesEveryPackage(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "## Package map")
	if start < 0 {
		t.Fatal(`docs/architecture.md has no "## Package map" section`)
	}
	section := doc[start+len("## Package map"):]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	rows := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if m := mapRow.FindStringSubmatch(line); m != nil {
			rows[strings.TrimSuffix(m[1], "/")] = true
		}
	}
	for _, dir := range packages(t) {
		if !rows[dir] {
			t.Errorf("docs/architecture.md's package map has no row for `%s`", dir)
		}
	}
	for name := range rows {
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(name))); err != nil {
			t.Errorf("docs/architecture.md's package map names `%s`, which does not exist", name)
		}
	}
}
