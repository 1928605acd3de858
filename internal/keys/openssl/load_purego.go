//go:build !nolibcrypto && linux && (amd64 || arm64)

package openssl

import (
	"fmt"
	"strings"

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
// the library until it exits). The error, one line for one log entry,
// says why each candidate that exists failed and lists those not found.
func openLibrary(paths []string) (*libcrypto, error) {
	var failed, absent []string
	for _, path := range paths {
		h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
		if err != nil {
			msg := err.Error()
			switch {
			case strings.Contains(msg, "No such file or directory"):
				absent = append(absent, path)
			case strings.HasPrefix(msg, path+":"):
				failed = append(failed, msg) // dlerror already names it
			default:
				failed = append(failed, path+": "+msg)
			}
			continue
		}
		l, err := bind(h)
		if err == nil {
			err = l.check()
		}
		if err != nil {
			_ = purego.Dlclose(h)
			failed = append(failed, path+": "+err.Error())
			continue
		}
		l.path = path
		return l, nil
	}
	if len(absent) > 0 {
		failed = append(failed, "not found: "+strings.Join(absent, ", "))
	}
	if len(failed) == 0 {
		failed = append(failed, "no candidate paths")
	}
	return nil, fmt.Errorf("openssl: cannot load libcrypto.so.3: %s", strings.Join(failed, "; "))
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
