package npm

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// nativeBuilders are the tools an install script runs to compile or fetch
// an addon. A package whose install scripts call one of them does not work
// without that step, which never runs here.
var nativeBuilders = []string{"node-gyp", "prebuild-install", "node-pre-gyp", "cmake-js", "node-gyp-build", "prebuildify"}

// checkNative refuses a tree holding a package that needs a native build:
// a binding.gyp at its root, "gypfile": true, or an install-time script
// that runs a native builder. Optional packages are let through: whoever
// depends on them copes without them by definition. Only packages npm
// flagged with hasInstallScript can qualify (npm sets it for binding.gyp
// too), so the check reads few files.
func checkNative(dir string, l lockfile) error {
	var paths []string
	for path, p := range l.Packages {
		if path != "" && p.HasInstallScript && !p.Optional {
			paths = append(paths, path)
		}
	}
	slices.Sort(paths)
	for _, path := range paths {
		pkgDir := filepath.Join(dir, filepath.FromSlash(path))
		if _, err := os.Stat(pkgDir); errors.Is(err, fs.ErrNotExist) {
			continue // not installed on this platform
		}
		name := packageNameOf(path, l.Packages[path])
		if why := needsBuild(pkgDir); why != "" {
			return &Error{Package: name, Message: fmt.Sprintf("%s@%s needs a native build (%s); install scripts never run here and hooks cannot load native addons, so use a pure-JavaScript package instead", name, l.Packages[path].Version, why)}
		}
	}
	return nil
}

func needsBuild(pkgDir string) string {
	if _, err := os.Stat(filepath.Join(pkgDir, "binding.gyp")); err == nil {
		return "it has a binding.gyp"
	}
	b, err := os.ReadFile(filepath.Join(pkgDir, "package.json"))
	if err != nil {
		return ""
	}
	var m struct {
		Gypfile bool              `json:"gypfile"`
		Scripts map[string]string `json:"scripts"`
	}
	if json.Unmarshal(b, &m) != nil {
		return ""
	}
	if m.Gypfile {
		return `its package.json says "gypfile": true`
	}
	for _, phase := range []string{"preinstall", "install", "postinstall"} {
		for _, tool := range nativeBuilders {
			if strings.Contains(m.Scripts[phase], tool) {
				return fmt.Sprintf("its %s script runs %s", phase, tool)
			}
		}
	}
	return ""
}

// packageNameOf is the package's name: the alias target when set, else the
// last node_modules segment of its path.
func packageNameOf(path string, p lockfilePackage) string {
	if p.Name != "" {
		return p.Name
	}
	i := strings.LastIndex(path, "node_modules/")
	if i < 0 {
		return path
	}
	return path[i+len("node_modules/"):]
}

// treeSize adds up the bytes of the regular files under dir, stopping as
// soon as the total passes limit. Symbolic links are not followed.
func treeSize(dir string, limit int64) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		if total > limit {
			return errTooBig
		}
		return nil
	})
	if errors.Is(err, errTooBig) {
		return total, nil
	}
	return total, err
}

var errTooBig = errors.New("npm: tree over the limit")
