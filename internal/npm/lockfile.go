package npm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// lockfile is the part of package-lock.json (lockfileVersion 2 or 3) the
// installer reads.
type lockfile struct {
	Name            string                     `json:"name"`
	LockfileVersion int                        `json:"lockfileVersion"`
	Packages        map[string]lockfilePackage `json:"packages"`
}

type lockfilePackage struct {
	Name             string            `json:"name"` // set for aliases (npm:other@1)
	Version          string            `json:"version"`
	Integrity        string            `json:"integrity"`
	Link             bool              `json:"link"`
	Optional         bool              `json:"optional"`
	HasInstallScript bool              `json:"hasInstallScript"`
	Dependencies     map[string]string `json:"dependencies"`
	OptionalDeps     map[string]string `json:"optionalDependencies"`
}

func parseLockfile(b []byte) (lockfile, error) {
	var l lockfile
	if err := json.Unmarshal(b, &l); err != nil {
		return l, fmt.Errorf("npm: lockfile: %w", err)
	}
	if l.LockfileVersion < 2 || l.Packages == nil {
		return l, fmt.Errorf("npm: lockfile version %d has no \"packages\" section (npm 7 or later writes one)", l.LockfileVersion)
	}
	if _, ok := l.Packages[""]; !ok {
		return l, fmt.Errorf("npm: lockfile has no root package")
	}
	return l, nil
}

// hash names the resolved set: every installed path with its version and
// integrity, sorted. The registry a package came from is left out on
// purpose: the integrity already pins the bytes, and replicas configured
// with different mirrors of one registry must agree on the name.
func (l lockfile) hash() string {
	lines := make([]string, 0, len(l.Packages))
	for path, p := range l.Packages {
		if path == "" {
			continue
		}
		lines = append(lines, path+"\x00"+p.Name+"\x00"+p.Version+"\x00"+p.Integrity)
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:])
}

// direct returns the installed version of each top-level dependency.
func (l lockfile) direct() map[string]string {
	root := l.Packages[""]
	out := make(map[string]string, len(root.Dependencies))
	for name := range root.Dependencies {
		if p, ok := l.Packages["node_modules/"+name]; ok {
			out[name] = p.Version
		}
	}
	return out
}

// manifest is the package.json that npm ci needs next to the lockfile: the
// root entry's dependencies, which npm ci checks against the lockfile.
func (l lockfile) manifest() ([]byte, error) {
	root := l.Packages[""]
	m := map[string]any{"name": manifestName, "version": "0.0.0", "private": true}
	if len(root.Dependencies) > 0 {
		m["dependencies"] = root.Dependencies
	}
	if len(root.OptionalDeps) > 0 {
		m["optionalDependencies"] = root.OptionalDeps
	}
	return json.MarshalIndent(m, "", "  ")
}

// manifestName is the root package's name in every tree, so lockfiles do
// not carry the temporary directory's name.
const manifestName = "tokenhook-hook-dependencies"
