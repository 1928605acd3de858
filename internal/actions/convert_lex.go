package actions

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A JavaScript tokenizer just deep enough for the Hook converter: it
// tells code from strings, comments, template text and regular
// expressions, so the converter only ever rewrites real identifiers, and
// it keeps every token's byte offsets, so the rewrite keeps the rest of
// the source (comments, layout) exactly as written.

type tokKind int

const (
	tIdent tokKind = iota
	tNum
	tStr
	// tTmpl is a piece of template text: a whole `...` literal, or the
	// head "`...${", a middle "}...${" or the tail "}...`" around
	// substitutions, whose tokens come in between.
	tTmpl
	tRegex
	tPunct
)

type token struct {
	kind       tokKind
	text       string
	start, end int  // byte offsets in the source
	nl         bool // a line break comes before it
}

// opens and closes tell how a token nests: brackets, and template pieces
// around substitutions.
func (t token) opens() bool {
	switch t.kind {
	case tPunct:
		return t.text == "(" || t.text == "[" || t.text == "{"
	case tTmpl:
		return strings.HasSuffix(t.text, "${")
	}
	return false
}

func (t token) closes() bool {
	switch t.kind {
	case tPunct:
		return t.text == ")" || t.text == "]" || t.text == "}"
	case tTmpl:
		return strings.HasPrefix(t.text, "}")
	}
	return false
}

func (t token) is(s string) bool { return t.kind == tPunct && t.text == s }

func (t token) isIdent(s string) bool { return t.kind == tIdent && t.text == s }

// lexError is a source the tokenizer cannot read (an unterminated string
// or comment): the Hook does not compile, so there is nothing to convert.
type lexError struct {
	off int
	msg string
}

func (e *lexError) Error() string { return e.msg }

// punctuators, longest first so the scan takes the longest match.
var punctuators = []string{
	">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??=",
	"=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=", "/=", "%=",
	"&=", "|=", "^=", "**", "<<", ">>",
}

// regexAfter are the keywords after which a slash starts a regular
// expression rather than a division.
var regexAfter = map[string]bool{
	"return": true, "typeof": true, "instanceof": true, "in": true, "of": true, "new": true, "delete": true,
	"void": true, "throw": true, "case": true, "do": true, "else": true, "yield": true, "await": true,
}

func isIdentStart(r rune) bool {
	return r == '$' || r == '_' || r == '#' || unicode.IsLetter(r)
}

func isIdentPart(r rune) bool {
	return r == '$' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\u200c' || r == '\u200d'
}

// lex splits src into tokens.
func lex(src string) ([]token, error) {
	var toks []token
	// braces records, for each open "{" or template substitution, whether
	// it is a substitution (its "}" resumes template text).
	var braces []bool
	i, nl := 0, false
	if strings.HasPrefix(src, "#!") {
		for i < len(src) && src[i] != '\n' {
			i++
		}
	}
	emit := func(kind tokKind, start, end int) {
		toks = append(toks, token{kind: kind, text: src[start:end], start: start, end: end, nl: nl})
		nl = false
	}
	// template scans template text from i (just after "`" or "}") to the
	// closing "`" or the next "${".
	template := func(start, i int) (int, error) {
		for i < len(src) {
			switch src[i] {
			case '\\':
				i += 2
				continue
			case '`':
				emit(tTmpl, start, i+1)
				return i + 1, nil
			case '$':
				if i+1 < len(src) && src[i+1] == '{' {
					emit(tTmpl, start, i+2)
					braces = append(braces, true)
					return i + 2, nil
				}
			}
			i++
		}
		return 0, &lexError{start, "unterminated template literal"}
	}
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\n':
			nl = true
			i++
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
			continue
		case strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, &lexError{i, "unterminated comment"}
			}
			if strings.Contains(src[i:i+2+end], "\n") {
				nl = true
			}
			i += end + 4
			continue
		case c == '"' || c == '\'':
			j := i + 1
			for ; j < len(src) && src[j] != c; j++ {
				if src[j] == '\\' {
					j++
				} else if src[j] == '\n' {
					return nil, &lexError{i, "unterminated string"}
				}
			}
			if j >= len(src) {
				return nil, &lexError{i, "unterminated string"}
			}
			emit(tStr, i, j+1)
			i = j + 1
			continue
		case c == '`':
			var err error
			if i, err = template(i, i+1); err != nil {
				return nil, err
			}
			continue
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := i + 1
			for j < len(src) {
				d := src[j]
				if d >= '0' && d <= '9' || d >= 'a' && d <= 'z' || d >= 'A' && d <= 'Z' || d == '_' || d == '.' {
					j++
				} else if (d == '+' || d == '-') && (src[j-1] == 'e' || src[j-1] == 'E') && !strings.HasPrefix(src[i:], "0x") {
					j++
				} else {
					break
				}
			}
			emit(tNum, i, j)
			i = j
			continue
		case c == '/' && regexAllowed(toks):
			j, inClass := i+1, false
			for ; j < len(src); j++ {
				d := src[j]
				if d == '\\' {
					j++
				} else if d == '[' {
					inClass = true
				} else if d == ']' {
					inClass = false
				} else if d == '/' && !inClass {
					break
				} else if d == '\n' {
					return nil, &lexError{i, "unterminated regular expression"}
				}
			}
			if j >= len(src) {
				return nil, &lexError{i, "unterminated regular expression"}
			}
			j++
			for j < len(src) && (src[j] >= 'a' && src[j] <= 'z') {
				j++
			}
			emit(tRegex, i, j)
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(src[i:])
		if isIdentStart(r) || c == '\\' {
			j := i + size
			for j < len(src) {
				r, s := utf8.DecodeRuneInString(src[j:])
				if !isIdentPart(r) {
					break
				}
				j += s
			}
			emit(tIdent, i, j)
			i = j
			continue
		}
		if c == '{' {
			braces = append(braces, false)
		}
		if c == '}' && len(braces) > 0 {
			sub := braces[len(braces)-1]
			braces = braces[:len(braces)-1]
			if sub {
				var err error
				if i, err = template(i, i+1); err != nil {
					return nil, err
				}
				continue
			}
		}
		n := 1
		for _, p := range punctuators {
			if strings.HasPrefix(src[i:], p) {
				n = len(p)
				break
			}
		}
		if r >= utf8.RuneSelf {
			n = size
		}
		emit(tPunct, i, i+n)
		i += n
	}
	return toks, nil
}

// regexAllowed reports whether a "/" after toks starts a regular
// expression: where an expression may begin, not after an operand.
func regexAllowed(toks []token) bool {
	if len(toks) == 0 {
		return true
	}
	p := toks[len(toks)-1]
	switch p.kind {
	case tIdent:
		return regexAfter[p.text]
	case tPunct:
		return p.text != ")" && p.text != "]" && p.text != "}"
	case tTmpl:
		return strings.HasSuffix(p.text, "${")
	}
	return false
}

// matchBrackets pairs every opening token with its closing one: match[i]
// is the partner's index (-1 for tokens that do not nest).
func matchBrackets(src string, toks []token) ([]int, error) {
	match := make([]int, len(toks))
	var stack []int
	for i, t := range toks {
		match[i] = -1
		if t.closes() {
			if len(stack) == 0 {
				return nil, &lexError{t.start, fmt.Sprintf("unbalanced %q", t.text[:1])}
			}
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if !pairs(toks[o], t) {
				return nil, &lexError{t.start, fmt.Sprintf("%q does not close %q", t.text[:1], lastChar(toks[o].text))}
			}
			match[o], match[i] = i, o
		}
		if t.opens() {
			stack = append(stack, i)
		}
	}
	if len(stack) > 0 {
		return nil, &lexError{toks[stack[len(stack)-1]].start, fmt.Sprintf("unclosed %q", lastChar(toks[stack[len(stack)-1]].text))}
	}
	return match, nil
}

func lastChar(s string) string { return s[len(s)-1:] }

func pairs(open, close token) bool {
	if open.kind == tTmpl {
		return close.kind == tTmpl
	}
	switch open.text {
	case "(":
		return close.is(")")
	case "[":
		return close.is("]")
	}
	return close.is("}")
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(src string, off int) (int, int) {
	if off > len(src) {
		off = len(src)
	}
	line := 1 + strings.Count(src[:off], "\n")
	col := off - strings.LastIndex(src[:off], "\n")
	return line, col
}
