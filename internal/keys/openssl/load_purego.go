//go:build openssl && linux && (amd64 || arm64)

package openssl

import (
	"errors"
	"fmt"

	"github.com/ebitengine/purego"
)

// libraryCandidates is where openLibrary looks, in order: the soname first,
// so the dynamic loader's own search (ld.so.cache, LD_LIBRARY_PATH) decides
// as it would for a C program, then the usual absolute paths of Debian,
// Ubuntu, Fedora/RHEL, Arch and source installs, for systems whose cache
// does not list libcrypto.so.3.
var libraryCandidates = []string{
	"libcrypto.so.3",
	"/lib/x86_64-linux-gnu/libcrypto.so.3",
	"/usr/lib/x86_64-linux-gnu/libcrypto.so.3",
	"/lib/aarch64-linux-gnu/libcrypto.so.3",
	"/usr/lib/aarch64-linux-gnu/libcrypto.so.3",
	"/usr/lib64/libcrypto.so.3",
	"/lib64/libcrypto.so.3",
	"/usr/lib/libcrypto.so.3",
	"/usr/local/lib64/libcrypto.so.3",
	"/usr/local/lib/libcrypto.so.3",
}

// built reports whether this binary can load OpenSSL at all.
const built = true

// openLibrary dlopens the first candidate that loads and exports every
// symbol the signer needs. RTLD_LOCAL keeps OpenSSL's symbols out of the
// global namespace; the handle is never closed (the process keeps using
// the library until it exits).
func openLibrary(paths []string) (*libcrypto, error) {
	var errs []error
	for _, path := range paths {
		h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
			continue
		}
		l, err := bind(h)
		if err == nil {
			err = l.check()
		}
		if err != nil {
			_ = purego.Dlclose(h)
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
			continue
		}
		l.path = path
		return l, nil
	}
	return nil, fmt.Errorf("openssl: cannot load libcrypto.so.3: %w", errors.Join(errs...))
}

// bind resolves every symbol with Dlsym first, so a library missing one is
// an error rather than RegisterLibFunc's panic.
func bind(h uintptr) (*libcrypto, error) {
	l := &libcrypto{}
	for _, s := range l.symbols() {
		addr, err := purego.Dlsym(h, s.name)
		if err != nil || addr == 0 {
			return nil, fmt.Errorf("missing symbol %s", s.name)
		}
		purego.RegisterFunc(s.fn, addr)
	}
	return l, nil
}
