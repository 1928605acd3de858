package jsvm

import (
	"errors"
	"strings"
	"unicode/utf16"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// The module source is wrapped the way Node wraps CommonJS modules. The prefix
// sits on its own line so that line numbers map back by subtracting one and
// columns need no correction.
const (
	modulePrefix = "(function (exports, require, module, __filename, __dirname) {\n"
	moduleSuffix = "\n})"
	moduleName   = "hook.js"
)

// compileModule parses and compiles a hook module. It never executes code.
// Source maps are disabled: the parser would otherwise follow a
// `//# sourceMappingURL=` comment to the file system.
func compileModule(script string) (*goja.Program, error) {
	src := modulePrefix + script + moduleSuffix
	ast, err := parser.ParseFile(nil, moduleName, src, 0, parser.WithDisableSourceMaps)
	if err != nil {
		return nil, parseError(err, script)
	}
	prog, err := goja.CompileAST(ast, false)
	if err != nil {
		var se *goja.CompilerSyntaxError
		if errors.As(err, &se) && se.File != nil {
			p := se.File.Position(se.Offset)
			return nil, positioned(p.Line, p.Column, se.Message, script)
		}
		var ce *goja.CompilerReferenceError
		if errors.As(err, &ce) && ce.File != nil {
			p := ce.File.Position(ce.Offset)
			return nil, positioned(p.Line, p.Column, ce.Message, script)
		}
		return nil, &sandbox.CompileError{Message: err.Error()}
	}
	return prog, nil
}

// parseError maps the parser's first error back to the script. An error
// found past the script's end, in the wrapper's closing "})", is either a
// script that ends too early (an unclosed brace, bracket or string) or one
// that closed the wrapper itself with an extra "}": neither is the
// wrapper's fault, so the bare script is parsed again to find where the
// mistake is. That parse refuses a top-level return, which CommonJS allows,
// so its "Illegal return statement" is not believed.
func parseError(err error, script string) *sandbox.CompileError {
	line, col, msg, ok := firstParseError(err)
	if !ok {
		return &sandbox.CompileError{Message: err.Error()}
	}
	if line-1 <= scriptLines(script) {
		return positioned(line, col, msg, script)
	}
	if _, err := parser.ParseFile(nil, moduleName, script, 0, parser.WithDisableSourceMaps); err != nil {
		if l, c, m, ok := firstParseError(err); ok && m != illegalReturn {
			return positioned(l+1, c, m, script)
		}
	}
	return positioned(line, col, msg, script)
}

func firstParseError(err error) (line, col int, msg string, ok bool) {
	var list parser.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		return list[0].Position.Line, list[0].Position.Column, list[0].Message, true
	}
	var pe *parser.Error
	if errors.As(err, &pe) {
		return pe.Position.Line, pe.Position.Column, pe.Message, true
	}
	return 0, 0, "", false
}

func scriptLines(script string) int { return strings.Count(script, "\n") + 1 }

// positioned maps a position in the wrapped source back to the script. A
// position past the script's end means it ended too early: it is reported
// at the end of the script's last line with V8's words, never as the
// wrapper's "})" the user did not write. goja's name for an unreadable
// token is V8's too.
func positioned(line, col int, msg, script string) *sandbox.CompileError {
	line--
	last := scriptLines(script)
	switch {
	case line < 1:
		line, col = 1, 1
	case line > last:
		line = last
		col = utf16Len(script[strings.LastIndexByte(script, '\n')+1:]) + 1
		msg = endOfInput
	default:
		// goja counts bytes; editors and V8 count characters (UTF-16).
		text := script
		for range line - 1 {
			text = text[strings.IndexByte(text, '\n')+1:]
		}
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			text = text[:i]
		}
		if col > len(text)+1 {
			col = len(text) + 1
		}
		if col >= 1 {
			col = utf16Len(text[:col-1]) + 1
		}
	}
	if msg == "Unexpected token ILLEGAL" {
		msg = "Invalid or unexpected token"
	}
	return &sandbox.CompileError{Line: line, Column: col, Message: msg}
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

const (
	// endOfInput is V8's message for a script that ends inside a construct.
	endOfInput    = "Unexpected end of input"
	illegalReturn = "Illegal return statement"
)
