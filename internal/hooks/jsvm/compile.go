package jsvm

import (
	"errors"
	"strings"

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

func parseError(err error, script string) *sandbox.CompileError {
	var list parser.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		return positioned(list[0].Position.Line, list[0].Position.Column, list[0].Message, script)
	}
	var pe *parser.Error
	if errors.As(err, &pe) {
		return positioned(pe.Position.Line, pe.Position.Column, pe.Message, script)
	}
	return &sandbox.CompileError{Message: err.Error()}
}

// positioned maps a position in the wrapped source back to the script. An
// error found in the suffix (an unclosed brace) is reported at the end of the
// script's last line.
func positioned(line, col int, msg, script string) *sandbox.CompileError {
	line--
	last := strings.Count(script, "\n") + 1
	switch {
	case line < 1:
		line, col = 1, 1
	case line > last:
		line = last
		col = len(script) - strings.LastIndexByte(script, '\n')
	}
	return &sandbox.CompileError{Line: line, Column: col, Message: msg}
}
