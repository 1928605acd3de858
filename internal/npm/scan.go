package npm

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// requireCall finds require('spec') with a literal argument. A require in a
// comment counts too: reading the code as text is what makes the choice
// predictable, and a hook is small enough for its author to see why.
var requireCall = regexp.MustCompile(`\brequire\s*\(\s*(?:'([^'\n]*)'|"([^"\n]*)"|` + "`([^`$\\n]*)`" + `)\s*\)`)

// pinned splits webtask's inline pin "name@version" or "name@version/sub"
// (also scoped, "@scope/name@version").
var pinned = regexp.MustCompile(`^((?:@[^/@\s]+/)?[^/@\s]+)@([^/\s]+)(/.*)?$`)

// packageName is npm's rule for names (legacy upper case included, so
// packages like JSONStream can be declared).
var packageName = regexp.MustCompile(`^(@[a-z0-9~-][a-z0-9._~-]*/)?[a-zA-Z0-9~-][a-zA-Z0-9._~-]*$`)

// Requires returns the modules the script requires by a literal name, as
// written (duplicates removed, in order of first appearance).
func Requires(script string) []string {
	var out []string
	for _, m := range requireCall.FindAllStringSubmatch(script, -1) {
		spec := m[1] + m[2] + m[3]
		if spec != "" && !slices.Contains(out, spec) {
			out = append(out, spec)
		}
	}
	return out
}

// InlinePins returns the dependencies the script pins inline, webtask's
// require('name@version'), as name → version.
func InlinePins(script string) map[string]string {
	out := map[string]string{}
	for _, spec := range Requires(script) {
		if m := pinned.FindStringSubmatch(spec); m != nil {
			out[m[1]] = m[2]
		}
	}
	return out
}

// Wanted is the set to install: the declared dependencies plus the inline
// pins. A pin that contradicts a declaration, or two pins of one package at
// different versions, cannot be one tree and is an *Error.
func Wanted(script string, declared map[string]string) (map[string]string, error) {
	out := maps.Clone(declared)
	if out == nil {
		out = map[string]string{}
	}
	seen := map[string]string{}
	for _, spec := range Requires(script) {
		m := pinned.FindStringSubmatch(spec)
		if m == nil {
			continue
		}
		name, version := m[1], m[2]
		if prev, ok := seen[name]; ok && prev != version {
			return nil, &Error{Package: name, Message: fmt.Sprintf("the script requires %s at two versions (%s and %s); one hook has one version of a package", name, prev, version)}
		}
		seen[name] = version
		if d, ok := declared[name]; ok && d != version {
			return nil, &Error{Package: name, Message: fmt.Sprintf("the script requires %s@%s but the hook declares %s %s", name, version, name, d)}
		}
		out[name] = version
	}
	return out, Validate(out)
}

// Validate checks names and version specs before npm sees them: registry
// packages only (a version, a range, a tag or an npm: alias), because a
// path, a git URL or a tarball URL would install something no other
// replica can reproduce from the registry.
func Validate(deps map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(deps)) {
		spec := deps[name]
		if len(name) > 214 || !packageName.MatchString(name) {
			return &Error{Package: name, Message: fmt.Sprintf("%q is not a valid npm package name", name)}
		}
		if strings.TrimSpace(spec) == "" {
			return &Error{Package: name, Message: fmt.Sprintf("%s has no version: give a version, a range or a tag such as latest", name)}
		}
		if len(spec) > 256 || strings.ContainsAny(spec, "\n\r\t\x00") {
			return &Error{Package: name, Message: fmt.Sprintf("the version of %s is not a valid version or range", name)}
		}
		if notRegistry(spec) {
			return &Error{Package: name, Message: fmt.Sprintf("%s@%s: only packages from the npm registry can be installed (a version, a range, a tag or npm:alias@version), not paths, git or tarball URLs", name, spec)}
		}
	}
	return nil
}

func notRegistry(spec string) bool {
	s := strings.TrimSpace(spec)
	if strings.HasPrefix(s, "npm:") {
		// An alias: npm resolves it from the registry only.
		return false
	}
	for _, p := range []string{"file:", "link:", "portal:", "workspace:", "git:", "git+", "github:", "gitlab:", "bitbucket:", "gist:", "http:", "https:", ".", "/", "~/", "\\"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	// user/repo is npm's GitHub shorthand.
	return strings.Contains(s, "/")
}

// ModuleName is the package a require spec loads: "lodash" for
// "lodash@4.17.21/fp", "crypto" for "node:crypto"; "" for relative or
// absolute paths, which a hook (one file) cannot have.
func ModuleName(spec string) string {
	spec = strings.TrimPrefix(spec, "node:")
	if spec == "" || strings.HasPrefix(spec, ".") || strings.HasPrefix(spec, "/") {
		return ""
	}
	if m := pinned.FindStringSubmatch(spec); m != nil {
		return m[1]
	}
	parts := strings.SplitN(spec, "/", 3)
	if strings.HasPrefix(spec, "@") && len(parts) >= 2 {
		return parts[0] + "/" + parts[1]
	}
	return parts[0]
}

// Choice is the runtime a hook needs, and why.
type Choice struct {
	Runtime string // storage.RuntimeEmbedded or storage.RuntimeNode
	Reason  string // why Node, worded to follow "it": "declares npm dependencies"
}

// ChooseRuntime picks the runtime (RUNTIME.md §3): Node when the hook has
// dependencies (declared or inline, i.e. wanted is not empty) or requires
// a module the embedded engine lacks (embedded, jsvm.HasModule, reports
// which it has; the names it is asked about carry no "node:" prefix).
func ChooseRuntime(script string, wanted map[string]string, embedded func(module string) bool) Choice {
	if len(wanted) > 0 {
		names := slices.Sorted(maps.Keys(wanted))
		return Choice{Runtime: storage.RuntimeNode, Reason: "declares npm dependencies (" + strings.Join(names, ", ") + ")"}
	}
	for _, spec := range Requires(script) {
		// The whole spec is asked about: the embedded engine may have a
		// module and not its subpaths (util but not util/types).
		name := strings.TrimPrefix(spec, "node:")
		if ModuleName(name) != "" && !embedded(name) {
			return Choice{Runtime: storage.RuntimeNode, Reason: fmt.Sprintf("requires '%s', which the embedded engine does not have", name)}
		}
		// The embedded crypto has the hashes, HMACs and random values
		// only: a hook that signs, encrypts or derives keys with Node's
		// crypto runs on Node. Each function named in the script is asked
		// about as "crypto#name".
		if name == "crypto" {
			for _, fn := range nodeCryptoFunction.FindAllString(script, -1) {
				if !embedded("crypto#" + fn) {
					return Choice{Runtime: storage.RuntimeNode, Reason: fmt.Sprintf("calls crypto.%s, which the embedded engine does not have", fn)}
				}
			}
		}
	}
	return Choice{Runtime: storage.RuntimeEmbedded}
}

// nodeCryptoFunction finds the names of Node's crypto functions and
// classes in a script; names common outside crypto (sign, verify, hash)
// are left out, so a script reading jwt.sign is not sent to Node for it.
var nodeCryptoFunction = regexp.MustCompile(`\b(createHash|createHmac|getHashes|randomBytes|randomUUID|timingSafeEqual|` +
	`createSign|createVerify|pbkdf2|pbkdf2Sync|scrypt|scryptSync|hkdf|hkdfSync|createCipheriv|createDecipheriv|` +
	`publicEncrypt|privateDecrypt|privateEncrypt|publicDecrypt|generateKeyPair|generateKeyPairSync|generateKey|generateKeySync|` +
	`createPrivateKey|createPublicKey|createSecretKey|createECDH|createDiffieHellman|getDiffieHellman|diffieHellman|` +
	`getCiphers|getCurves|randomInt|randomFill|randomFillSync|webcrypto|X509Certificate|KeyObject|checkPrime|generatePrime)\b`)

// NodeGlobal names a global of current Node.js (what Auth0's Actions run
// on: node18, node22) that the script uses and the embedded engine, which
// keeps the Node 12 globals of Auth0's Hooks, does not define: "crypto"
// for the Web Crypto global (crypto.randomUUID() without a require),
// "structuredClone", "Intl", ..., or a RegExp feature it lacks (Unicode
// property escapes, \p{L}); "" when it uses none. Comments are not read
// (every Actions template names {Event} in its JSDoc).
func NodeGlobal(script string) string {
	code := stripComments(script)
	if m := nodeGlobalUse.FindStringSubmatch(code); m != nil {
		for _, g := range m[1:] {
			if g != "" {
				return g
			}
		}
	}
	if unicodeProperty.MatchString(code) {
		// The embedded engine's RegExp does not match \p{L} and the like
		// (it answers false, silently).
		return `\p{...}`
	}
	if m := webCryptoUse.FindStringSubmatch(code); m != nil {
		// require('crypto') has randomUUID on the embedded engine too; a
		// script that binds its own crypto needs Node for the rest only.
		if m[1] != "randomUUID" || !localCrypto.MatchString(code) {
			return "crypto"
		}
	}
	return ""
}

var (
	nodeGlobalUse = regexp.MustCompile(`(?:^|[^.\w$/])(?:(structuredClone)\s*\(|(Intl)\s*\.|(performance)\s*\.\s*(?:mark|measure|getEntries\w*)\b|` +
		`new\s+(WeakRef|FinalizationRegistry|Blob|FormData|EventTarget|Event|File|MessageChannel|BroadcastChannel|ReadableStream|WritableStream|TransformStream|DOMException|CustomEvent)\s*\(|` +
		`((?:Object|Map)\s*\.\s*groupBy|Array\s*\.\s*fromAsync|Promise\s*\.\s*withResolvers)\s*\()`)
	unicodeProperty = regexp.MustCompile(`\\[pP]\{`)
	webCryptoUse    = regexp.MustCompile(`(?:^|[^.\w$/])crypto\s*\.\s*(randomUUID|getRandomValues|subtle)\b`)
	localCrypto     = regexp.MustCompile(`\b(?:const|let|var|import)\s+crypto\b|\bfunction\s*\w*\s*\([^)]*\bcrypto\b`)
	// A line comment starts at // not preceded by ':' (https://...) nor
	// by a word character; quotes are not tracked, so text after such a
	// // inside a string is skipped too (which can only miss a use).
	blockComment = regexp.MustCompile(`(?s)/\*.*?\*/`)
	lineComment  = regexp.MustCompile(`(?m)(^|[^:\w'"\x60])//.*$`)
)

func stripComments(s string) string {
	s = blockComment.ReplaceAllString(s, " ")
	return lineComment.ReplaceAllString(s, "$1")
}
