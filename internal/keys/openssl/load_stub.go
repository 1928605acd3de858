//go:build nolibcrypto || !linux || !(amd64 || arm64)

package openssl

// libraryCandidates is empty: this build cannot dlopen anything.
var libraryCandidates []string

// built reports whether this binary can load OpenSSL at all.
const built = false

func openLibrary([]string) (*libcrypto, error) { return nil, ErrNotBuilt }
