package npm

import (
	"errors"
	"regexp"
	"slices"
	"strings"
)

// Error is an installation failure to show to whoever saved the hook: npm's
// own message (unknown package, no such version), a refused native
// package, a tree over the size limit. Its text never holds credentials.
type Error struct {
	Package string // the package at fault, when known
	Code    string // npm's error code (E404, ETARGET...), when npm gave one
	Message string
	// Unavailable marks failures of the registry or the network rather
	// than of the request (npm could not connect, timed out): retrying
	// later may work, so it is not the user's mistake.
	Unavailable bool
}

func (e *Error) Error() string {
	if e.Code != "" {
		return "npm: " + e.Code + ": " + e.Message
	}
	return "npm: " + e.Message
}

// ErrNotReady is returned (wrapped, with the tree named) for a tree that is
// still being installed in the background.
var ErrNotReady = errors.New("npm: dependencies not installed yet")

// unavailableCodes are npm/Node error codes that say the registry could not
// be reached or answered with a server error.
var unavailableCodes = map[string]bool{
	"ENOTFOUND": true, "EAI_AGAIN": true, "ECONNREFUSED": true, "ECONNRESET": true,
	"ETIMEDOUT": true, "EHOSTUNREACH": true, "ENETUNREACH": true, "ESOCKETTIMEDOUT": true,
	"E500": true, "E502": true, "E503": true, "E504": true, "EPIPE": true,
}

var (
	// //user:password@host in any URL.
	urlUserinfo = regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://)[^/@\s]+@`)
	// _authToken=..., _auth=..., _password=..., token=... in npm config echoes.
	authAssign = regexp.MustCompile(`(?i)(_authToken|_auth|_password|password|token)(\s*[=:]\s*)("[^"]*"|'[^']*'|\S+)`)
	bearer     = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/-]{8,}=*`)
)

// redact removes credentials npm might echo (a registry URL with a user and
// password, an auth token from .npmrc) from text leaving this package.
func redact(s string) string {
	s = urlUserinfo.ReplaceAllString(s, "${1}***@")
	s = authAssign.ReplaceAllString(s, "${1}${2}***")
	return bearer.ReplaceAllString(s, "${1} ***")
}

// maxMessage bounds what of npm's output an error carries.
const maxMessage = 1000

// parseFailure reads npm's stderr: the lines it prefixes with "npm error"
// (npm 10+) or "npm ERR!" (older), minus the pointer to its debug log (a
// path on this machine) and the boilerplate of 404 answers.
func parseFailure(stderr string) *Error {
	e := &Error{}
	var lines []string
	for _, raw := range strings.Split(stderr, "\n") {
		line, ok := strings.CutPrefix(raw, "npm error")
		if !ok {
			line, ok = strings.CutPrefix(raw, "npm ERR!")
		}
		if !ok {
			continue
		}
		line = strings.TrimSpace(line)
		if code, ok := strings.CutPrefix(line, "code "); ok && e.Code == "" && !strings.Contains(code, " ") {
			e.Code = code
			continue
		}
		if strings.HasPrefix(line, "at ") {
			break // a stack trace: the message is above it
		}
		// npm repeats a tag at the start of each line of some answers.
		for _, tag := range []string{"404", "notarget", "peerinvalid", "ERESOLVE"} {
			if rest, ok := strings.CutPrefix(line, tag); ok && (rest == "" || rest[0] == ' ') {
				line = strings.TrimSpace(rest)
			}
		}
		line = strings.TrimSpace(strings.TrimSuffix(line, " {"))
		switch {
		case line == "",
			strings.HasPrefix(line, "errno "),
			strings.HasPrefix(line, "syscall "),
			strings.HasPrefix(line, "A complete log of this run"),
			strings.HasPrefix(line, "Log files were not written"),
			strings.HasPrefix(line, "You can rerun the command with"),
			strings.HasPrefix(line, "Note that you can also install from a"),
			strings.HasPrefix(line, "tarball, folder, http url, or git url"),
			strings.HasPrefix(line, "In most cases you or one of your dependencies"):
			continue
		}
		if !slices.Contains(lines, line) && len(lines) < 3 {
			lines = append(lines, line)
		}
	}
	e.Message = strings.Join(lines, " ")
	if e.Message == "" {
		e.Message = lastLines(stderr, 3)
	}
	if e.Message == "" {
		e.Message = "npm failed without saying why"
	}
	e.Message = redact(e.Message)
	if len(e.Message) > maxMessage {
		e.Message = e.Message[:maxMessage] + "…"
	}
	e.Unavailable = unavailableCodes[e.Code]
	return e
}

func lastLines(s string, n int) string {
	var out []string
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := max(0, len(lines)-n); i < len(lines); i++ {
		if l := strings.TrimSpace(lines[i]); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, " ")
}
