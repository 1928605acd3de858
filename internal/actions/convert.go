package actions

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/tokenhook/tokenhook/internal/hooks"
)

// The Hook → Action converter (`tokenhook hooks convert`). It rewrites a
// credentials-exchange or password-exchange Hook into the Action Auth0's
// migration guide describes (callback → async onExecute..., arguments →
// event fields, claims → api.*.setCustomClaim, errors → api.access.deny),
// as a source transform that leaves everything else as written.
//
// It is deliberately narrow: it converts the shapes it can prove
// equivalent and refuses everything else with the construct and its line,
// because wrong code that deploys cleanly is worse than no code. In
// particular it refuses webtask storage, scope changes (a Hook's scope
// replaces the token's; an Action can only adjust the granted ones), a
// callback called from a nested function (an asynchronous callback, which
// needs a rewrite to await), and any use of the Hook's arguments or of its
// response object it does not recognise.

// Conversion is a converted Hook.
type Conversion struct {
	// Trigger is the Action trigger the code is for.
	Trigger string `json:"trigger"`
	// Code is the Action's source.
	Code string `json:"code"`
	// Dependencies are the npm packages the Hook pinned inline
	// (require('name@version')): an Action declares them instead.
	Dependencies []Dependency `json:"dependencies"`
	// Secrets are the secret names the code reads: the Action needs them
	// set (a Hook's secret values cannot be read back).
	Secrets []string `json:"secrets"`
	// Notes are the differences the user should know of, by line.
	Notes []string `json:"notes"`
}

// Dependency is an npm package an Action declares.
type Dependency struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ConvertError is a construct the converter will not translate.
type ConvertError struct {
	Line, Column int
	// Construct is the source text in question.
	Construct string
	Reason    string
}

func (e *ConvertError) Error() string {
	if e.Line == 0 {
		return e.Reason
	}
	if e.Construct == "" {
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Reason)
	}
	return fmt.Sprintf("line %d, column %d: %s: %s", e.Line, e.Column, e.Construct, e.Reason)
}

// ActionTriggerFor names the Action trigger that replaces a hook point.
func ActionTriggerFor(point string) (*Trigger, bool) {
	for i := range triggers {
		if triggers[i].Point == point {
			return &triggers[i], true
		}
	}
	return nil, false
}

// The Hook arguments' roles.
const (
	roleUser     = "user"
	roleClient   = "client"
	roleScope    = "scope"
	roleAudience = "audience"
	roleContext  = "context"
	roleCallback = "cb"
)

var paramRoles = map[string][]string{
	hooks.CredentialsExchange: {roleClient, roleScope, roleAudience, roleContext, roleCallback},
	hooks.PasswordExchange:    {roleUser, roleClient, roleScope, roleAudience, roleContext, roleCallback},
}

// memberMaps are the argument properties with an event equivalent
// (Auth0's migration table, and the hook arguments of compat-spec §3.1).
var memberMaps = map[string]map[string]string{
	roleClient: {
		"id": "event.client.client_id", "name": "event.client.name", "metadata": "event.client.metadata",
		"tenant": "event.tenant.id",
	},
	roleUser: {
		"id": "event.user.user_id", "tenant": "event.tenant.id", "username": "event.user.username",
		"email": "event.user.email", "emailVerified": "event.user.email_verified", "displayName": "event.user.name",
		"user_metadata": "event.user.user_metadata", "app_metadata": "event.user.app_metadata",
	},
	roleContext: {
		"body": "event.request.body", "ip": "event.request.ip", "userAgent": "event.request.user_agent",
	},
}

// hookErrors are the Hook error classes and the OAuth error each answers.
var hookErrors = map[string]string{
	"InvalidScopeError": "invalid_scope", "InvalidRequestError": "invalid_request", "ServerError": "server_error",
}

// plainErrors are the built-in classes a Hook's "any other error" came in.
var plainErrors = map[string]bool{"Error": true, "TypeError": true, "RangeError": true}

// Claim targets: where a response object's properties go.
const (
	targetAccess = "accessToken" // api.accessToken claims (and scope)
	targetID     = "idToken"     // api.idToken claims
	targetRoot   = "root"        // password-exchange's {accessToken, idToken}
)

type edit struct {
	start, end int // byte offsets replaced
	text       string
	// build, when set, makes the text at render time, once every
	// rewrite inside the range is known.
	build func() string
}

// lazy is one statement of a rewrite, made at render time.
type lazy func() string

func fixed(s string) lazy { return func() string { return s } }

type converter struct {
	src     string
	toks    []token
	match   []int
	point   string
	trigger *Trigger

	roles  map[string]string // argument name → role
	names  map[string]string // role → argument name
	open   int               // token index of the body's "{"
	close  int               // and of its "}"
	nested []bool            // token inside a function nested in the body
	block  []int             // the "{" of the block each token is in (open for the body)

	// resp maps each response object variable to its target.
	resp map[string]string
	// calls are the callback's calls, in order.
	calls []cbCall
	// declBlock is the block each response object is declared in.
	declBlock map[string]int
	// claimAt holds, per response object, where claims are set on it.
	claimAt map[string][]int

	edits   []edit
	owned   []edit // statement rewrites: the edits inside them are already applied
	notes   []note
	secrets map[string]bool
	deps    []Dependency
	// handled marks tokens a statement rewrite accounts for.
	handled map[int]bool
}

// ConvertHook turns a Hook's source for hook point point into an Action.
func ConvertHook(source, point string) (Conversion, error) {
	trig, ok := ActionTriggerFor(point)
	if !ok {
		var pts []string
		for _, t := range triggers {
			pts = append(pts, t.Point)
		}
		return Conversion{}, &ConvertError{Reason: fmt.Sprintf("a %s hook has no Action trigger here: only %s hooks convert", point, strings.Join(pts, " and "))}
	}
	c := &converter{src: source, point: point, trigger: trig, roles: map[string]string{}, names: map[string]string{},
		resp: map[string]string{}, declBlock: map[string]int{}, claimAt: map[string][]int{}, secrets: map[string]bool{}, handled: map[int]bool{}}
	toks, err := lex(source)
	if err == nil {
		c.toks = toks
		c.match, err = matchBrackets(source, toks)
	}
	if le, ok := err.(*lexError); ok {
		line, col := lineCol(source, le.off)
		return Conversion{}, &ConvertError{Line: line, Column: col, Reason: le.msg + " (the Hook does not compile)"}
	}
	if err := c.run(); err != nil {
		return Conversion{}, err
	}
	out := Conversion{Trigger: trig.ID, Code: c.render(0, len(source), c.allEdits()), Dependencies: c.deps}
	slices.SortStableFunc(c.notes, func(a, b note) int { return a.line - b.line })
	for _, n := range c.notes {
		out.Notes = append(out.Notes, fmt.Sprintf("line %d: %s", n.line, n.text))
	}
	if out.Dependencies == nil {
		out.Dependencies = []Dependency{}
	}
	out.Secrets = slices.Sorted(func(yield func(string) bool) {
		for k := range c.secrets {
			if !yield(k) {
				return
			}
		}
	})
	if out.Notes == nil {
		out.Notes = []string{}
	}
	return out, nil
}

// refuse builds the error for the tokens [from, to].
func (c *converter) refuse(from, to int, reason string) error {
	t := c.toks[from]
	line, col := lineCol(c.src, t.start)
	construct := c.src[t.start:c.toks[to].end]
	if len(construct) > 80 {
		construct = construct[:77] + "..."
	}
	construct = strings.Join(strings.Fields(construct), " ")
	return &ConvertError{Line: line, Column: col, Construct: construct, Reason: reason}
}

// note is a difference the user should know of.
type note struct {
	line int
	text string
}

func (c *converter) note(tok int, format string, args ...any) {
	line, _ := lineCol(c.src, c.toks[tok].start)
	c.notes = append(c.notes, note{line, fmt.Sprintf(format, args...)})
}

func (c *converter) run() error {
	if err := c.findExport(); err != nil {
		return err
	}
	c.scanBody()
	if err := c.checkDeclarations(); err != nil {
		return err
	}
	if err := c.unsupported(); err != nil {
		return err
	}
	if err := c.callbacks(); err != nil {
		return err
	}
	if err := c.responseObjects(); err != nil {
		return err
	}
	if err := c.rewriteCallbacks(); err != nil {
		return err
	}
	if err := c.throws(); err != nil {
		return err
	}
	if err := c.references(); err != nil {
		return err
	}
	if err := c.returns(); err != nil {
		return err
	}
	c.requires()
	return nil
}

// findExport finds `module.exports = function (...) {...}` (or an arrow
// function, or async) and rewrites its head.
func (c *converter) findExport() error {
	found := -1
	depth := 0
	for i := 0; i+3 < len(c.toks); i++ {
		t := c.toks[i]
		if t.opens() {
			depth++
		}
		if t.closes() {
			depth--
		}
		if t.isIdent("module") && c.toks[i+1].is(".") && c.toks[i+2].isIdent("exports") && (i == 0 || !c.toks[i-1].is(".")) {
			if found >= 0 {
				return c.refuse(i, i+2, "module.exports is set more than once")
			}
			if depth != 0 || !c.toks[i+3].is("=") {
				return c.refuse(i, i+3, "the converter only reads a Hook written as module.exports = function (...) {...}")
			}
			found = i
		}
	}
	if found < 0 {
		return &ConvertError{Reason: "no module.exports = function (...) {...}: the converter only reads a Hook in Auth0's form"}
	}
	i := found + 4
	if i < len(c.toks) && c.toks[i].isIdent("async") {
		i++
	}
	var params, body int
	switch {
	case i < len(c.toks) && c.toks[i].isIdent("function"):
		i++
		if i < len(c.toks) && c.toks[i].is("*") {
			return c.refuse(found, i, "a generator function is not a Hook")
		}
		if i < len(c.toks) && c.toks[i].kind == tIdent {
			i++
		}
		if i >= len(c.toks) || !c.toks[i].is("(") {
			return c.refuse(found, min(i, len(c.toks)-1), "the converter only reads a Hook written as module.exports = function (...) {...}")
		}
		params = i
		body = c.match[i] + 1
	case i < len(c.toks) && c.toks[i].is("("):
		params = i
		if c.match[i]+2 >= len(c.toks) || !c.toks[c.match[i]+1].is("=>") {
			return c.refuse(found, c.match[i], "the converter only reads a Hook written as module.exports = function (...) {...}")
		}
		body = c.match[i] + 2
	default:
		return c.refuse(found, min(i, len(c.toks)-1), "the converter only reads a Hook written as module.exports = function (...) {...} (not a reference to a function defined elsewhere)")
	}
	if body >= len(c.toks) || !c.toks[body].is("{") {
		return c.refuse(found, min(body, len(c.toks)-1), "the Hook's function needs a { ... } body")
	}
	c.open, c.close = body, c.match[body]
	// The arguments, by position.
	roles := paramRoles[c.point]
	var names []int
	for j := params + 1; j < c.match[params]; j++ {
		t := c.toks[j]
		switch {
		case t.kind == tIdent && (c.toks[j+1].is(",") || j+1 == c.match[params]):
			names = append(names, j)
		case t.is(","):
		default:
			return c.refuse(j, j, "the converter only reads plain argument names (no defaults, destructuring or rest)")
		}
	}
	if len(names) > len(roles) {
		return c.refuse(names[len(roles)], names[len(names)-1], fmt.Sprintf("a %s Hook takes %d arguments (%s)", c.point, len(roles), strings.Join(roles, ", ")))
	}
	for k, j := range names {
		c.roles[c.toks[j].text] = roles[k]
		c.names[roles[k]] = c.toks[j].text
	}
	c.edits = append(c.edits, edit{start: c.toks[found].start, end: c.toks[body].end, text: "exports." + c.trigger.Export + " = async (event, api) => {"})
	return nil
}

// scanBody marks the tokens of functions nested in the body and each
// token's block depth.
func (c *converter) scanBody() {
	c.nested = make([]bool, len(c.toks))
	c.block = make([]int, len(c.toks))
	mark := func(from, to int) {
		for k := max(from, c.open+1); k <= to && k < c.close; k++ {
			c.nested[k] = true
		}
	}
	for i := c.open + 1; i < c.close; i++ {
		t := c.toks[i]
		switch {
		case t.isIdent("function"):
			j := i + 1
			if c.toks[j].is("*") {
				j++
			}
			if c.toks[j].kind == tIdent {
				j++
			}
			if c.toks[j].is("(") && c.toks[c.match[j]+1].is("{") {
				mark(i+1, c.match[c.match[j]+1])
			}
		case t.is("=>"):
			from := i - 1
			if c.toks[i-1].is(")") {
				from = c.match[i-1]
			}
			if c.toks[i+1].is("{") {
				mark(from, c.match[i+1])
				continue
			}
			// A concise body runs to the end of its expression.
			j := i + 1
			for ; j < c.close; j++ {
				u := c.toks[j]
				if u.closes() && !u.opens() {
					break
				}
				if u.is(",") || u.is(";") {
					break
				}
				if u.opens() {
					j = c.match[j]
				}
			}
			mark(from, j-1)
		case t.kind == tIdent && t.text != "if" && t.text != "for" && t.text != "while" && t.text != "switch" &&
			t.text != "catch" && t.text != "with" && t.text != "function" && c.toks[i+1].is("(") &&
			c.toks[c.match[i+1]+1].is("{") && (c.toks[i-1].is("{") || c.toks[i-1].is(",") || c.toks[i-1].is("}")):
			// A method in an object literal or class: name(...) {...}.
			mark(i+1, c.match[c.match[i+1]+1])
		}
	}
	stack := []int{c.open}
	for i := c.open + 1; i < c.close; i++ {
		if c.toks[i].is("}") && len(stack) > 1 {
			stack = stack[:len(stack)-1]
		}
		c.block[i] = stack[len(stack)-1]
		if c.toks[i].is("{") {
			stack = append(stack, i)
		}
	}
}

// isReference reports whether the identifier at i names a variable (not a
// property after ".", nor an object key).
func (c *converter) isReference(i int) bool {
	if i > 0 && (c.toks[i-1].is(".") || c.toks[i-1].is("?.")) {
		return false
	}
	if i+1 < len(c.toks) && c.toks[i+1].is(":") && i > 0 && (c.toks[i-1].is("{") || c.toks[i-1].is(",")) {
		return false
	}
	return true
}

// checkDeclarations refuses code that declares a name the converter
// rewrites: the rewrite would change the wrong variable.
func (c *converter) checkDeclarations() error {
	declared := func(j int) error {
		if role, ok := c.roles[c.toks[j].text]; ok {
			return c.refuse(j, j, fmt.Sprintf("declares a variable named like the Hook's %s argument; rename it before converting", role))
		}
		return nil
	}
	for i := c.open + 1; i < c.close; i++ {
		t := c.toks[i]
		decl := t.isIdent("var") || t.isIdent("let") || t.isIdent("const")
		if (decl || t.isIdent("function") || t.isIdent("class")) && c.toks[i+1].kind == tIdent {
			if err := declared(i + 1); err != nil {
				return err
			}
		}
		if decl && (c.toks[i+1].is("{") || c.toks[i+1].is("[")) {
			for j := i + 2; j < c.match[i+1]; j++ {
				if c.toks[j].kind == tIdent && !c.toks[j+1].is(":") {
					if err := declared(j); err != nil {
						return err
					}
				}
			}
		}
		if t.isIdent("catch") && c.toks[i+1].is("(") && c.toks[i+2].kind == tIdent {
			if err := declared(i + 2); err != nil {
				return err
			}
		}
		// Parameters of nested functions and arrows.
		var params int = -1
		if t.is("=>") {
			if c.toks[i-1].kind == tIdent {
				if err := declared(i - 1); err != nil {
					return err
				}
			} else if c.toks[i-1].is(")") {
				params = c.match[i-1]
			}
		}
		if t.isIdent("function") {
			j := i + 1
			if c.toks[j].is("*") {
				j++
			}
			if c.toks[j].kind == tIdent {
				j++
			}
			if c.toks[j].is("(") {
				params = j
			}
		}
		if params >= 0 {
			for k := params + 1; k < c.match[params]; k++ {
				if c.toks[k].opens() {
					continue
				}
				if c.toks[k].kind == tIdent && c.isReference(k) && (c.toks[k-1].is("(") || c.toks[k-1].is(",") || c.toks[k-1].is("...") || c.toks[k-1].is("{") || c.toks[k-1].is("[") || c.toks[k-1].is(":")) {
					if err := declared(k); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// statementStart reports whether a statement can begin at token i.
func (c *converter) statementStart(i int) bool {
	if i == c.open+1 {
		return true
	}
	p := c.toks[i-1]
	return p.is(";") || p.is("{") || p.is("}") || p.is(")") || p.isIdent("else") || p.isIdent("do") ||
		(p.is(":") && c.labelColon(i-1)) || c.toks[i].nl
}

// labelColon reports whether the ":" at i ends a case or default label.
func (c *converter) labelColon(i int) bool {
	for j := i - 1; j > c.open; j-- {
		t := c.toks[j]
		if t.isIdent("case") || t.isIdent("default") {
			return true
		}
		if t.is(";") || t.is("{") || t.is("}") || t.is("?") {
			return false
		}
	}
	return false
}

// needsBlock reports whether a statement at i is the body of an if,
// else, for or while without braces, where several statements need { }.
func (c *converter) needsBlock(i int) bool {
	p := c.toks[i-1]
	return p.is(")") || p.isIdent("else") || p.isIdent("do")
}

// statementEnd returns the index of the token after a statement whose
// last expression token is last (past its ";" when it has one).
func (c *converter) statementEnd(last int) (int, bool) {
	n := last + 1
	if n < len(c.toks) && c.toks[n].is(";") {
		return n + 1, true
	}
	if n >= len(c.toks) || c.toks[n].is("}") || c.toks[n].nl {
		return n, true
	}
	return n, false
}

// expressionEnd returns the last token of the expression starting at i:
// up to a ";" or a closing bracket at its level, or a line break where
// automatic semicolon insertion ends it.
func (c *converter) expressionEnd(i int) int {
	j := i
	for ; j < c.close; j++ {
		t := c.toks[j]
		if t.is(";") || t.is(",") || (t.closes() && !t.opens()) {
			return j - 1
		}
		if j > i && t.nl && (t.kind == tIdent && !isOperatorWord(t.text) || t.kind == tStr || t.kind == tNum) && endsOperand(c.toks[j-1]) {
			return j - 1
		}
		if t.opens() {
			j = c.match[j]
			for c.toks[j].opens() { // a template's middle pieces
				j = c.match[j]
			}
		}
	}
	return j - 1
}

func isOperatorWord(s string) bool { return s == "instanceof" || s == "in" || s == "of" }

func endsOperand(t token) bool {
	switch t.kind {
	case tIdent, tNum, tStr, tRegex:
		return true
	case tTmpl:
		return strings.HasSuffix(t.text, "`")
	}
	return t.is(")") || t.is("]") || t.is("}") || t.is("++") || t.is("--")
}

// splitArgs returns the [from, to] token ranges of the comma-separated
// items between the brackets at open and c.match[open].
func (c *converter) splitArgs(open int) [][2]int {
	var out [][2]int
	from := open + 1
	for j := open + 1; j < c.match[open]; j++ {
		if c.toks[j].opens() {
			j = c.match[j]
			for c.toks[j].opens() {
				j = c.match[j]
			}
			continue
		}
		if c.toks[j].is(",") {
			out = append(out, [2]int{from, j - 1})
			from = j + 1
		}
	}
	if from <= c.match[open]-1 {
		out = append(out, [2]int{from, c.match[open] - 1})
	}
	return out
}

// text is the source of the tokens [from, to] with the converter's edits
// inside them applied.
func (c *converter) text(from, to int) string {
	if to < from {
		return ""
	}
	return c.render(c.toks[from].start, c.toks[to].end, c.allEdits())
}

func (c *converter) allEdits() []edit { return append(append([]edit{}, c.owned...), c.edits...) }

// render applies the edits within [start, end) to the source there; an
// edit inside another one is part of it and skipped.
func (c *converter) render(start, end int, edits []edit) string {
	sort.SliceStable(edits, func(a, b int) bool {
		if edits[a].start != edits[b].start {
			return edits[a].start < edits[b].start
		}
		return edits[a].end > edits[b].end
	})
	var b strings.Builder
	at := start
	for _, e := range edits {
		if e.start < at || e.start < start || e.end > end {
			continue
		}
		b.WriteString(c.src[at:e.start])
		if e.build != nil {
			b.WriteString(e.build())
		} else {
			b.WriteString(e.text)
		}
		at = e.end
	}
	b.WriteString(c.src[at:end])
	return b.String()
}

// replaceStatement replaces the statement [from, end) (tokens; end is
// exclusive) with stmts, laid out on the statement's lines; no stmts
// removes it, with its line when it stood alone.
func (c *converter) replaceStatement(from, end int, stmts []lazy) {
	start, stop := c.toks[from].start, c.toks[end-1].end
	lineStart := strings.LastIndex(c.src[:start], "\n") + 1
	indent := c.src[lineStart:start]
	alone := strings.TrimSpace(indent) == ""
	if len(stmts) == 0 {
		if alone {
			lineEnd := strings.IndexByte(c.src[stop:], '\n')
			if lineEnd >= 0 && strings.TrimSpace(c.src[stop:stop+lineEnd]) == "" {
				c.owned = append(c.owned, edit{start: lineStart, end: stop + lineEnd + 1})
				return
			}
		}
		c.owned = append(c.owned, edit{start: start, end: stop})
		return
	}
	if !alone {
		indent = ""
	}
	block := len(stmts) > 1 && c.needsBlock(from)
	c.owned = append(c.owned, edit{start: start, end: stop, build: func() string {
		parts := make([]string, len(stmts))
		for k, s := range stmts {
			parts[k] = s()
		}
		if block {
			return "{ " + strings.Join(parts, " ") + " }"
		}
		return strings.Join(parts, "\n"+indent)
	}})
}

// lastStatement reports whether the token after a statement is the end of
// the Hook's body, where a "return" is not needed.
func (c *converter) lastStatement(next int) bool { return next == c.close }

// cbCall is one call of the Hook's callback, a statement.
type cbCall struct {
	from, cbTok, end int // from is the "return" before it, if any
	args             [][2]int
}

// callbacks finds every call of the Hook's callback: it must be a
// statement of the Hook's own function, not of a function nested in it.
// The variables its success calls pass are the response objects.
func (c *converter) callbacks() error {
	cb, ok := c.names[roleCallback]
	if !ok {
		return nil
	}
	for i := c.open + 1; i < c.close; i++ {
		if !c.toks[i].isIdent(cb) || !c.isReference(i) {
			continue
		}
		if c.nested[i] {
			return c.refuse(i, i, "the callback is called from a function nested in the Hook (an asynchronous callback, a .then or a loop body); rewrite that part with await first, then convert")
		}
		if !c.toks[i+1].is("(") {
			return c.refuse(i, i, "the callback is used other than by calling it; the converter cannot follow it")
		}
		from := i
		if c.toks[i-1].isIdent("return") {
			from = i - 1
		}
		end, ok := c.statementEnd(c.match[i+1])
		if !c.statementStart(from) || !ok {
			return c.refuse(from, c.match[i+1], "the callback is called inside an expression; the converter only rewrites cb(...) as a statement")
		}
		c.handled[i], c.handled[from] = true, true
		k := cbCall{from, i, end, c.splitArgs(i + 1)}
		c.calls = append(c.calls, k)
		if len(k.args) >= 2 && isNull(c, k.args[0]) && k.args[1][0] == k.args[1][1] && c.toks[k.args[1][0]].kind == tIdent {
			name := c.toks[k.args[1][0]].text
			if _, ok := c.roles[name]; ok {
				return c.refuse(k.args[1][0], k.args[1][0], "passes a Hook argument as the response; the converter cannot follow it")
			}
			c.resp[name] = c.rootTarget()
			c.handled[k.args[1][0]] = true
		}
	}
	// password-exchange: {accessToken: X} in the callback's literal or in
	// the root object's initializer makes X an access-token object.
	for i := c.open + 1; i < c.close; i++ {
		t := c.toks[i]
		if t.kind != tIdent || !c.isReference(i) || !c.toks[i-1].is(":") || c.toks[i-2].kind != tIdent {
			continue
		}
		key := c.toks[i-2].text
		if (key == targetAccess || key == targetID) && (c.toks[i+1].is(",") || c.toks[i+1].is("}")) && c.inRootLiteral(i) {
			if had, ok := c.resp[t.text]; ok && had != key {
				return c.refuse(i, i, "the same object is used as more than one token's claims; the converter cannot follow it")
			}
			c.resp[t.text] = key
			c.handled[i] = true
		}
	}
	return nil
}

// rewriteCallbacks turns each callback call into its Action statements.
func (c *converter) rewriteCallbacks() error {
	for _, k := range c.calls {
		if err := c.checkOneResponse(k); err != nil {
			return err
		}
		last := c.lastStatement(k.end)
		var stmts []lazy
		switch {
		case len(k.args) == 0 || len(k.args) == 1 && isNull(c, k.args[0]):
			if c.point == hooks.CredentialsExchange {
				return c.refuse(k.from, k.end-1, "calling back with no response resets the token's scopes to none (a scope reset); an Action keeps the granted scopes, so convert this by hand (api.transaction.clearTargetScopes())")
			}
		case isNull(c, k.args[0]):
			if len(k.args) > 2 {
				return c.refuse(k.from, k.end-1, "the callback takes (error, response)")
			}
			a := k.args[1]
			if a[0] == a[1] && c.toks[a[0]].kind == tIdent {
				// The claims were set where the object was filled.
				if err := c.checkScopeKept(c.toks[a[0]].text, k.cbTok); err != nil {
					return err
				}
			} else if c.toks[a[0]].is("{") && c.match[a[0]] == a[1] {
				s, err := c.literalClaims(a[0], c.rootTarget(), true)
				if err != nil {
					return err
				}
				stmts = s
			} else {
				return c.refuse(a[0], a[1], "the converter only follows a response that is an object literal or a variable holding one")
			}
		default:
			if len(k.args) > 1 {
				return c.refuse(k.from, k.end-1, "the callback is called with both an error and a response")
			}
			deny, err := c.denyFor(k.args[0], !last)
			if err != nil {
				return err
			}
			c.replaceStatement(k.from, k.end, []lazy{deny})
			continue
		}
		if !last {
			stmts = append(stmts, fixed("return;"))
		}
		c.replaceStatement(k.from, k.end, stmts)
	}
	return nil
}

// checkOneResponse refuses a success call that answers without a response
// object whose claims were already set: the Action sets claims where the
// Hook assigned them, so they must be the ones every later answer sends.
func (c *converter) checkOneResponse(k cbCall) error {
	if len(k.args) > 0 && !isNull(c, k.args[0]) {
		return nil // an error: a deny, whatever was set
	}
	uses := map[string]bool{}
	if len(k.args) >= 2 {
		for j := k.args[1][0]; j <= k.args[1][1]; j++ {
			if t := c.toks[j]; t.kind == tIdent {
				if target, ok := c.resp[t.text]; ok {
					uses[t.text] = true
					if target == targetRoot {
						for name := range c.resp {
							uses[name] = true
						}
					}
				}
			}
		}
	}
	for name, at := range c.claimAt {
		if uses[name] || len(at) == 0 || at[0] > c.toks[k.cbTok].start {
			continue
		}
		return c.refuse(k.from, k.end-1, fmt.Sprintf("answers without %s, whose claims are set before it: the converter sets claims where the Hook assigns them, so it cannot convert a Hook that sends different response objects on different paths", name))
	}
	return nil
}

func isNull(c *converter, r [2]int) bool {
	return r[0] == r[1] && (c.toks[r[0]].isIdent("null") || c.toks[r[0]].isIdent("undefined"))
}

// rootTarget is what the Hook's response object holds at this point.
func (c *converter) rootTarget() string {
	if c.point == hooks.PasswordExchange {
		return targetRoot
	}
	return targetAccess
}

// denyFor turns the callback's error argument, `new XError(message)`,
// into api.access.deny; ret makes it "return api.access.deny(...)".
func (c *converter) denyFor(r [2]int, ret bool) (lazy, error) {
	i := r[0]
	if !c.toks[i].isIdent("new") || c.toks[i+1].kind != tIdent || !c.toks[i+2].is("(") || c.match[i+2] != r[1] {
		return nil, c.refuse(r[0], r[1], "the converter only maps an error created in place (new InvalidRequestError(message), new Error(message), ...); it cannot tell which OAuth error this value answers, use api.access.deny(code, reason)")
	}
	class := c.toks[i+1].text
	args := c.splitArgs(i + 2)
	if len(args) > 1 {
		return nil, c.refuse(r[0], r[1], "the error takes one argument, its message")
	}
	code, known := hookErrors[class]
	if !known && !plainErrors[class] {
		return nil, c.refuse(r[0], r[1], "an error of a class the Hook defined or imported: the converter cannot tell which OAuth error it answers, use api.access.deny(code, reason)")
	}
	c.handled[i+1] = true
	prefix := ""
	if ret {
		prefix = "return "
	}
	msg := func() string {
		if len(args) == 0 {
			return ""
		}
		return c.text(args[0][0], args[0][1])
	}
	if c.point == hooks.PasswordExchange {
		if known {
			c.note(i, "the Hook answered %s here; a post-login Action's api.access.deny answers 403 access_denied", code)
		}
		return func() string {
			m := msg()
			if m == "" {
				m = "''"
			}
			return prefix + "api.access.deny(" + m + ");"
		}, nil
	}
	if !known {
		code = "server_error"
	}
	return func() string {
		if m := msg(); m != "" {
			return prefix + "api.access.deny('" + code + "', " + m + ");"
		}
		return prefix + "api.access.deny('" + code + "');"
	}, nil
}

// throws rewrites `throw new XError(message)` in the Hook's own function
// as the callback's error would be.
func (c *converter) throws() error {
	for i := c.open + 1; i < c.close; i++ {
		if !c.toks[i].isIdent("throw") || c.nested[i] || !c.toks[i+1].isIdent("new") {
			continue
		}
		class := c.toks[i+2].text
		if _, ok := hookErrors[class]; !ok && !plainErrors[class] {
			continue
		}
		if !c.toks[i+3].is("(") {
			continue
		}
		end, ok := c.statementEnd(c.match[i+3])
		if !ok || !c.statementStart(i) {
			continue
		}
		deny, err := c.denyFor([2]int{i + 1, c.match[i+3]}, !c.lastStatement(end))
		if err != nil {
			return err
		}
		c.replaceStatement(i, end, []lazy{deny})
	}
	return nil
}

// responseObjects rewrites the response variables: their declaration and
// every property assignment become setCustomClaim calls where they were.
func (c *converter) responseObjects() error {
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range c.resp {
			if !yield(k) {
				return
			}
		}
	})
	for _, name := range names {
		target := c.resp[name]
		declared := false
		for i := c.open + 1; i < c.close; i++ {
			t := c.toks[i]
			if !t.isIdent(name) || !c.isReference(i) || c.handled[i] {
				continue
			}
			if c.nested[i] {
				return c.refuse(i, i, "the response object is used in a function nested in the Hook; the converter cannot follow it")
			}
			prev := c.toks[i-1]
			switch {
			case (prev.isIdent("var") || prev.isIdent("let") || prev.isIdent("const")) && c.toks[i+1].is("="):
				if declared {
					return c.refuse(i-1, i, "the response object is declared more than once")
				}
				declared = true
				c.declBlock[name] = c.block[i]
				if !c.toks[i+2].is("{") {
					return c.refuse(i-1, i+2, "the converter only follows a response object that starts as an object literal")
				}
				lit := i + 2
				end, ok := c.statementEnd(c.match[lit])
				if !ok || !c.statementStart(i-1) {
					return c.refuse(i-1, c.match[lit], "declares more than the response object in one statement")
				}
				stmts, err := c.literalClaims(lit, target, false)
				if err != nil {
					return err
				}
				if len(stmts) > 0 {
					c.claimAt[name] = append(c.claimAt[name], c.toks[i].start)
				}
				c.replaceStatement(i-1, end, stmts)
			case c.statementStart(i) && (c.toks[i+1].is(".") || c.toks[i+1].is("[")):
				if err := c.assignment(i, name, target); err != nil {
					return err
				}
			default:
				j := c.expressionEnd(i)
				return c.refuse(i, max(i, min(j, i+3)), "uses the response object other than by setting its properties; the converter cannot follow it")
			}
		}
		if !declared {
			return c.refuse(c.open, c.open, fmt.Sprintf("the response object %s is not declared in the Hook's function; the converter cannot follow it", name))
		}
	}
	return nil
}

// inRootLiteral reports whether token i is a property value of an object
// literal given to the callback or initializing the root response object.
func (c *converter) inRootLiteral(i int) bool {
	if c.point != hooks.PasswordExchange {
		return false
	}
	for o := i - 1; o > c.open; o-- {
		if c.toks[o].closes() && !c.toks[o].opens() {
			o = c.match[o]
			continue
		}
		if c.toks[o].is("{") {
			p := c.toks[o-1]
			if p.is(",") && c.toks[o-2].kind == tIdent && c.toks[o-3].is("(") && c.toks[o-4].isIdent(c.names[roleCallback]) {
				return true
			}
			if p.is("=") && c.toks[o-2].kind == tIdent && c.resp[c.toks[o-2].text] == targetRoot {
				return true
			}
			return false
		}
		if c.toks[o].opens() {
			return false
		}
	}
	return false
}

// assignment rewrites `X.name = value;`, `X[key] = value;` and, on the
// password-exchange root, `X.accessToken.name = value;`.
func (c *converter) assignment(i int, name, target string) error {
	j := i + 1
	if target == targetRoot {
		if !c.toks[j].is(".") || c.toks[j+1].kind != tIdent || (c.toks[j+1].text != targetAccess && c.toks[j+1].text != targetID) {
			return c.refuse(i, j+1, "the converter only follows accessToken and idToken on the response object")
		}
		target = c.toks[j+1].text
		j += 2
	}
	var keyFrom, keyTo int
	dotted := false
	switch {
	case c.toks[j].is(".") && c.toks[j+1].kind == tIdent:
		keyFrom, keyTo, dotted = j+1, j+1, true
		j += 2
	case c.toks[j].is("["):
		keyFrom, keyTo = j+1, c.match[j]-1
		j = c.match[j] + 1
	default:
		return c.refuse(i, j, "the converter only follows property assignments to the response object")
	}
	if dotted && c.toks[keyFrom].text == "scope" && target == targetAccess && c.toks[j].is(".") &&
		c.toks[j+1].isIdent("push") && c.toks[j+2].is("(") {
		return c.scopePush(i, j+2)
	}
	if !c.toks[j].is("=") {
		if dotted && c.toks[keyFrom].text == "scope" && target == targetAccess {
			return c.refuse(i, min(j+1, c.close-1), "changes the token's scopes (a scope change); an Action can only add to or remove from the granted scopes, so convert this by hand (api.transaction.* or api.accessToken.addScope/removeScope)")
		}
		return c.refuse(i, j, "uses the response object other than by setting its properties; the converter cannot follow it")
	}
	last := c.expressionEnd(j + 1)
	end, ok := c.statementEnd(last)
	if !ok || last < j+1 {
		return c.refuse(i, max(last, j), "the converter only follows one assignment per statement")
	}
	value := [2]int{j + 1, last}
	var key lazy
	literal, isLiteral := "", false
	switch {
	case dotted:
		literal, isLiteral = c.toks[keyFrom].text, true
		key = fixed("'" + literal + "'")
	case keyFrom == keyTo && c.toks[keyFrom].kind == tStr:
		literal, isLiteral = stringValue(c.toks[keyFrom].text)
		src := c.toks[keyFrom].text
		key = fixed(src)
	default:
		key = func() string { return c.text(keyFrom, keyTo) }
	}
	if isLiteral && literal == "scope" && target == targetAccess {
		if !c.isScopeArg(value) {
			return c.refuse(i, last, "replaces the token's scopes (a scope reset or replacement); an Action can only add to or remove from the granted scopes, so convert this by hand (api.transaction.* or api.accessToken.addScope/removeScope)")
		}
		if b, ok := c.declBlock[name]; (!ok || c.block[i] != b || c.needsBlock(i)) && c.point == hooks.CredentialsExchange {
			return c.refuse(i, last, "keeps the granted scopes only on some paths; elsewhere the Hook resets them, which the converter does not translate")
		}
		c.handled[value[0]] = true
		c.replaceStatement(i, end, nil)
		return nil
	}
	stmt, err := c.claim(i, target, key, literal, isLiteral, value)
	if err != nil {
		return err
	}
	var stmts []lazy
	if stmt != nil {
		stmts = []lazy{stmt}
		c.claimAt[name] = append(c.claimAt[name], c.toks[i].start)
	}
	c.replaceStatement(i, end, stmts)
	return nil
}

// scopePush rewrites `X.scope.push(a, b)`, the Hook starter's way to add
// scopes to the granted ones: at credentials-exchange the Action's
// api.transaction.addTargetScope, whose result is intersected with the
// client grant (noted: the Hook added any scope); at post-login
// api.accessToken.addScope, which adds any scope as the Hook did.
func (c *converter) scopePush(i, open int) error {
	end, ok := c.statementEnd(c.match[open])
	if !ok || !c.statementStart(i) {
		return c.refuse(i, c.match[open], "changes the token's scopes inside an expression; the converter only rewrites X.scope.push(...) as a statement")
	}
	args := c.splitArgs(open)
	if len(args) == 0 {
		c.replaceStatement(i, end, nil)
		return nil
	}
	method := "api.accessToken.addScope"
	if c.point == hooks.CredentialsExchange {
		method = "api.transaction.addTargetScope"
		c.note(i, "the Hook added these scopes whatever the client grant; api.transaction.addTargetScope keeps only those the grant has")
	}
	var stmts []lazy
	for _, a := range args {
		if c.toks[a[0]].is("...") {
			return c.refuse(a[0], a[1], "spreads scopes into the token; the converter cannot tell which")
		}
		for k := a[0]; k <= a[1]; k++ {
			if c.toks[k].kind == tIdent && c.resp[c.toks[k].text] != "" && c.isReference(k) {
				return c.refuse(k, k, "reads the response object; the converter cannot follow it")
			}
		}
		a := a
		stmts = append(stmts, func() string { return method + "(" + c.text(a[0], a[1]) + ");" })
	}
	c.replaceStatement(i, end, stmts)
	return nil
}

// stringValue decodes a JavaScript string literal's simple forms.
func stringValue(lit string) (string, bool) {
	body := lit[1 : len(lit)-1]
	if !strings.Contains(body, `\`) {
		return body, true
	}
	var s string
	if lit[0] == '"' && json.Unmarshal([]byte(lit), &s) == nil {
		return s, true
	}
	return "", false
}

// claim builds one setCustomClaim call; a literal name the Hook would
// have dropped (not namespaced) is left out with a note.
func (c *converter) claim(at int, target string, key lazy, literal string, isLiteral bool, value [2]int) (lazy, error) {
	if value[1] < value[0] {
		return nil, c.refuse(at, at, "a property without a value")
	}
	for k := value[0]; k <= value[1]; k++ {
		if c.toks[k].kind == tIdent && c.resp[c.toks[k].text] != "" && c.isReference(k) {
			return nil, c.refuse(k, k, "reads the response object; the converter cannot follow it")
		}
	}
	if isLiteral && !namespacedClaim(literal) {
		c.note(at, "the Hook dropped the claim %q (not a namespaced URL), so the Action does not set it", literal)
		return nil, nil
	}
	if !isLiteral {
		c.note(at, "the claim's name is computed: the Hook kept it only when it was a namespaced URL, the Action sets any name but Auth0's restricted ones")
	}
	api := "api.accessToken"
	if target == targetID {
		api = "api.idToken"
	}
	return func() string {
		return api + ".setCustomClaim(" + key() + ", " + c.text(value[0], value[1]) + ");"
	}, nil
}

// literalClaims turns an object literal's properties into claims for
// target; root is password-exchange's {accessToken, idToken}.
func (c *converter) literalClaims(open int, target string, inCallback bool) ([]lazy, error) {
	var stmts []lazy
	keepsScope := false
	for _, p := range c.splitArgs(open) {
		from, to := p[0], p[1]
		t := c.toks[from]
		var key lazy
		var literal string
		var isLiteral bool
		var value [2]int
		switch {
		case t.is("..."):
			return nil, c.refuse(from, to, "spreads an object into the response; the converter cannot tell which claims that sets")
		case from == to && t.kind == tIdent:
			key, literal, isLiteral, value = fixed("'"+t.text+"'"), t.text, true, [2]int{from, to}
		case t.kind == tIdent && c.toks[from+1].is(":"):
			key, literal, isLiteral, value = fixed("'"+t.text+"'"), t.text, true, [2]int{from + 2, to}
		case (t.kind == tStr || t.kind == tNum) && c.toks[from+1].is(":"):
			key, value = fixed(t.text), [2]int{from + 2, to}
			literal, isLiteral = t.text, true
			if t.kind == tStr {
				literal, isLiteral = stringValue(t.text)
			}
		case t.is("[") && c.toks[c.match[from]+1].is(":"):
			kf, kt := from+1, c.match[from]-1
			key, value = func() string { return c.text(kf, kt) }, [2]int{c.match[from] + 2, to}
		default:
			return nil, c.refuse(from, to, "a property the converter does not recognise (a method or getter)")
		}
		switch {
		case target == targetRoot:
			if !isLiteral || (literal != targetAccess && literal != targetID) {
				c.note(from, "the Hook ignored the response property %s (only accessToken and idToken count), so the Action leaves it out", c.text(from, from))
				continue
			}
			v := c.toks[value[0]]
			switch {
			case v.is("{") && c.match[value[0]] == value[1]:
				s, err := c.literalClaims(value[0], literal, inCallback)
				if err != nil {
					return nil, err
				}
				stmts = append(stmts, s...)
			case value[0] == value[1] && v.kind == tIdent && c.resp[v.text] == literal:
				c.handled[value[0]] = true
			default:
				return nil, c.refuse(value[0], value[1], "the converter only follows accessToken and idToken given as an object literal or a variable holding one")
			}
		case isLiteral && literal == "scope" && target == targetAccess:
			if !c.isScopeArg(value) {
				return nil, c.refuse(from, to, "replaces the token's scopes (a scope reset or replacement); an Action can only add to or remove from the granted scopes, so convert this by hand (api.transaction.* or api.accessToken.addScope/removeScope)")
			}
			keepsScope = true
			c.handled[value[0]] = true
		default:
			s, err := c.claim(from, target, key, literal, isLiteral, value)
			if err != nil {
				return nil, err
			}
			if s != nil {
				stmts = append(stmts, s)
			}
		}
	}
	if inCallback && target == targetAccess && c.point == hooks.CredentialsExchange && !keepsScope {
		return nil, c.refuse(open, c.match[open], "a response without scope resets the token's scopes to none (a scope reset); an Action keeps the granted scopes, so convert this by hand (api.transaction.clearTargetScopes())")
	}
	return stmts, nil
}

// literalKeepsScope reports whether an object literal has scope: scope.
func (c *converter) literalKeepsScope(open int) bool {
	for _, p := range c.splitArgs(open) {
		t := c.toks[p[0]]
		if p[0] == p[1] && t.isIdent("scope") && c.names[roleScope] == "scope" {
			return true
		}
		if (t.isIdent("scope") || t.text == `"scope"` || t.text == `'scope'`) && c.toks[p[0]+1].is(":") && c.isScopeArg([2]int{p[0] + 2, p[1]}) {
			return true
		}
	}
	return false
}

// isScopeArg reports whether the value is the Hook's scope argument.
func (c *converter) isScopeArg(v [2]int) bool {
	name, ok := c.names[roleScope]
	return ok && v[0] == v[1] && c.toks[v[0]].isIdent(name)
}

// checkScopeKept refuses a credentials-exchange response sent without the
// granted scopes: the Hook's token then had none.
func (c *converter) checkScopeKept(name string, cbTok int) error {
	if c.point != hooks.CredentialsExchange {
		return nil
	}
	// Kept by the initializer, or by X.scope = scope in the Hook's own
	// block before the call.
	for i := c.open + 1; i < cbTok; i++ {
		if !c.toks[i].isIdent(name) || c.nested[i] {
			continue
		}
		if (c.toks[i-1].isIdent("var") || c.toks[i-1].isIdent("let") || c.toks[i-1].isIdent("const")) && c.toks[i+1].is("=") && c.toks[i+2].is("{") && c.literalKeepsScope(i+2) {
			return nil
		}
		if b, ok := c.declBlock[name]; ok && c.block[i] == b && !c.needsBlock(i) && c.toks[i+1].is(".") && c.toks[i+2].isIdent("scope") && c.toks[i+3].is("=") {
			last := c.expressionEnd(i + 4)
			if c.isScopeArg([2]int{i + 4, last}) {
				return nil
			}
		}
	}
	return c.refuse(cbTok, cbTok, fmt.Sprintf("the response %s has no scope here, which resets the token's scopes to none (a scope reset); an Action keeps the granted scopes, so convert this by hand (api.transaction.clearTargetScopes()), or add %s.scope = %s if the Hook meant to keep them", name, name, c.names[roleScope]))
}

// unsupported refuses, before anything else, what has no Action
// equivalent at all, so the message names it rather than a symptom.
func (c *converter) unsupported() error {
	// The Action's own arguments would shadow the Hook's variables of
	// those names.
	for i := c.open + 1; i < c.close; i++ {
		if t := c.toks[i]; (t.isIdent("event") || t.isIdent("api")) && c.isReference(i) {
			return c.refuse(i, i, "the Hook uses a variable named "+t.text+", the name of an Action argument; rename it before converting")
		}
	}
	// Outside the Hook's function, its error classes (globals of a Hook,
	// not of an Action) cannot be rewritten into a deny.
	for i, t := range c.toks {
		if i > c.open && i < c.close {
			continue
		}
		if _, ok := hookErrors[t.text]; ok && t.kind == tIdent && c.isReference(i) {
			return c.refuse(i, i, "uses a Hook error class outside the Hook's function; Actions have no such global (deny with api.access.deny(code, reason))")
		}
	}
	for _, role := range paramRoles[c.point] {
		if n := c.names[role]; n == "event" || n == "api" {
			return &ConvertError{Reason: "the Hook names an argument " + n + ", the name of an Action argument; rename it before converting"}
		}
	}
	ctx, ok := c.names[roleContext]
	if !ok {
		return nil
	}
	for i := c.open + 1; i+4 < c.close; i++ {
		if c.toks[i].isIdent(ctx) && c.isReference(i) && c.toks[i+1].is(".") && c.toks[i+2].isIdent("webtask") &&
			c.toks[i+3].is(".") && c.toks[i+4].isIdent("storage") {
			return c.refuse(i, i+4, "Actions have no per-Hook storage (api.cache is a per-server cache that may drop entries); keep that state in your own store, then convert by hand")
		}
	}
	return nil
}

// references rewrites the Hook's arguments into event fields.
func (c *converter) references() error {
	for i := c.open + 1; i < c.close; i++ {
		t := c.toks[i]
		if t.kind != tIdent || c.handled[i] || !c.isReference(i) {
			continue
		}
		if t.text == "arguments" && !c.nested[i] {
			return c.refuse(i, i, "reads arguments; the converter cannot follow it")
		}
		if _, ok := hookErrors[t.text]; ok {
			return c.refuse(i, i, "uses a Hook error class other than in cb(new "+t.text+"(message)) or throw; Actions deny with api.access.deny(code, reason)")
		}
		role, ok := c.roles[t.text]
		if !ok {
			continue
		}
		member := func() (string, int) {
			if i+2 < len(c.toks) && (c.toks[i+1].is(".") || c.toks[i+1].is("?.")) && c.toks[i+2].kind == tIdent {
				return c.toks[i+2].text, i + 2
			}
			return "", i
		}
		switch role {
		case roleCallback:
			return c.refuse(i, i, "the callback is used other than by calling it; the converter cannot follow it")
		case roleScope:
			if n := c.toks[i+1]; n.is("=") || n.is("+=") || n.is("-=") || n.is("++") || n.is("--") {
				return c.refuse(i, i+1, "changes the scope argument (a scope change); convert this by hand with api.transaction.* or api.accessToken.addScope/removeScope")
			}
			if m, _ := member(); m == "push" || m == "pop" || m == "shift" || m == "unshift" || m == "splice" || m == "length" || m == "sort" || m == "reverse" || m == "fill" || m == "copyWithin" {
				return c.refuse(i, i+2, "changes the scope argument (a scope change); convert this by hand with api.transaction.* or api.accessToken.addScope/removeScope")
			}
			if c.toks[i+1].is("[") && c.toks[c.match[i+1]+1].is("=") {
				return c.refuse(i, c.match[i+1]+1, "changes the scope argument (a scope change); convert this by hand")
			}
			to := "event.accessToken.scope"
			if c.point == hooks.PasswordExchange {
				to = "event.transaction.requested_scopes"
				c.note(i, "the Hook's scope was the granted scopes; %s is the scopes the request asked for", to)
			}
			c.edits = append(c.edits, edit{start: t.start, end: t.end, text: to})
		case roleAudience:
			if n := c.toks[i+1]; n.is("=") || n.is("+=") {
				return c.refuse(i, i+1, "assigns the audience argument; the converter cannot follow it")
			}
			c.edits = append(c.edits, edit{start: t.start, end: t.end, text: "event.resource_server.identifier"})
		case roleClient, roleUser:
			m, last := member()
			to, ok := memberMaps[role][m]
			if !ok {
				if m == "" {
					return c.refuse(i, i, fmt.Sprintf("uses the %s argument as a whole; the converter only maps its properties (%s)", role, strings.Join(slices.Sorted(mapKeys(memberMaps[role])), ", ")))
				}
				return c.refuse(i, last, fmt.Sprintf("%s.%s has no Action equivalent the converter knows", role, m))
			}
			if n := c.toks[last+1]; n.is("=") && !c.toks[last+2].is("=") {
				return c.refuse(i, last+1, "assigns a property of the "+role+" argument; an Action's event is read-only")
			}
			c.edits = append(c.edits, edit{start: t.start, end: c.toks[last].end, text: to})
		case roleContext:
			if err := c.contextRef(i); err != nil {
				return err
			}
		}
	}
	return nil
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// contextRef rewrites context.webtask.secrets, context.body, context.ip
// and context.userAgent; it refuses webtask storage and the rest of the
// webtask context, which Actions do not have.
func (c *converter) contextRef(i int) error {
	dot := func(j int) bool { return j < len(c.toks) && (c.toks[j].is(".") || c.toks[j].is("?.")) }
	if !dot(i+1) || c.toks[i+2].kind != tIdent {
		return c.refuse(i, i, "uses the context argument as a whole; the converter only maps context.webtask.secrets, context.body, context.ip and context.userAgent")
	}
	m := c.toks[i+2].text
	if m != "webtask" {
		to, ok := memberMaps[roleContext][m]
		if !ok {
			return c.refuse(i, i+2, "context."+m+" has no Action equivalent the converter knows")
		}
		c.edits = append(c.edits, edit{start: c.toks[i].start, end: c.toks[i+2].end, text: to})
		return nil
	}
	if !dot(i+3) || c.toks[i+4].kind != tIdent {
		return c.refuse(i, i+2, "uses the webtask context as a whole; only context.webtask.secrets has an Action equivalent (event.secrets)")
	}
	switch w := c.toks[i+4].text; w {
	case "secrets":
		c.edits = append(c.edits, edit{start: c.toks[i].start, end: c.toks[i+4].end, text: "event.secrets"})
		switch {
		case dot(i+5) && c.toks[i+6].kind == tIdent:
			c.secrets[c.toks[i+6].text] = true
		case i+7 < len(c.toks) && c.toks[i+5].is("[") && c.toks[i+6].kind == tStr && c.toks[i+7].is("]"):
			if name, ok := stringValue(c.toks[i+6].text); ok {
				c.secrets[name] = true
			}
		default:
			c.note(i, "the code reads the secrets by a computed name: set every secret the Hook had on the Action")
		}
		if n := c.toks[c.expressionStep(i+4)]; n.is("=") {
			return c.refuse(i, i+4, "assigns a secret; Action secrets are read-only")
		}
		return nil
	case "storage":
		return c.refuse(i, i+4, "Actions have no per-Hook storage (api.cache is a per-server cache that may drop entries); keep that state in your own store, then convert by hand")
	default:
		return c.refuse(i, i+4, "context.webtask."+w+" has no Action equivalent")
	}
}

// expressionStep returns the token after a member chain starting at i
// (past .name and [..] parts).
func (c *converter) expressionStep(i int) int {
	j := i + 1
	for j < len(c.toks) {
		switch {
		case (c.toks[j].is(".") || c.toks[j].is("?.")) && j+1 < len(c.toks) && c.toks[j+1].kind == tIdent:
			j += 2
		case c.toks[j].is("["):
			j = c.match[j] + 1
		default:
			return j
		}
	}
	return j
}

// returns refuses `return value` in the Hook's own function: a Hook that
// resolves with its response is not one the converter follows.
func (c *converter) returns() error {
	for i := c.open + 1; i < c.close; i++ {
		if !c.toks[i].isIdent("return") || c.nested[i] || c.handled[i] {
			continue
		}
		n := c.toks[i+1]
		if n.is(";") || n.is("}") || n.nl {
			continue
		}
		return c.refuse(i, c.expressionEnd(i+1), "returns a value from the Hook (a Promise-style response); the converter only follows the callback")
	}
	return nil
}

// pinned is require('name@version') with the version pinned inline.
var pinned = regexp.MustCompile(`^(@[^/@\s]+/[^@\s]+|[^@\s]+)@([^@\s]+)$`)

// requires rewrites require('name@version') to require('name') and
// records the dependency.
func (c *converter) requires() {
	for i := 0; i+3 < len(c.toks); i++ {
		if !c.toks[i].isIdent("require") || !c.toks[i+1].is("(") || c.toks[i+2].kind != tStr || !c.toks[i+3].is(")") {
			continue
		}
		if i > 0 && c.toks[i-1].is(".") {
			continue
		}
		s := c.toks[i+2]
		m := pinned.FindStringSubmatch(s.text[1 : len(s.text)-1])
		if m == nil {
			continue
		}
		q := s.text[:1]
		c.edits = append(c.edits, edit{start: s.start, end: s.end, text: q + m[1] + q})
		if !slices.ContainsFunc(c.deps, func(d Dependency) bool { return d.Name == m[1] }) {
			c.deps = append(c.deps, Dependency{Name: m[1], Version: m[2]})
		}
	}
}

// namespacedClaim is the Hooks' rule for a claim name: an http(s) URL
// whose host is not Auth0's (compat-spec §3.2).
func namespacedClaim(name string) bool {
	u, err := url.Parse(name)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if h, _, err := net.SplitHostPort(u.Host); err == nil {
		host = strings.ToLower(h)
	}
	for _, r := range []string{"auth0.com", "webtask.io", "webtask.run"} {
		if host == r || strings.HasSuffix(host, "."+r) {
			return false
		}
	}
	return true
}
