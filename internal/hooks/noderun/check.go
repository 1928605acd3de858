package noderun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// checkSource compiles a CommonJS module read from stdin the way runner.js
// does (vm.compileFunction with the module wrapper's parameters) without
// running any of it, and prints {"ok": true} or the error's position, read
// from the stack as runner.js's compileError reads it.
const checkSource = `'use strict';
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const src = Buffer.concat(chunks).toString('utf8');
  const filename = '/hook.js';
  try {
    require('vm').compileFunction(src, ['exports', 'require', 'module', '__filename', '__dirname'], { filename });
    process.stdout.write(JSON.stringify({ ok: true }));
  } catch (e) {
    const lines = String(e && e.stack || '').split('\n');
    let line = 0, col = 0;
    const m = lines[0] && lines[0].startsWith(filename + ':') ? lines[0].slice(filename.length + 1).match(/^(\d+)/) : null;
    if (m) {
      line = Number(m[1]);
      const caret = lines[2] || '', c = caret.indexOf('^');
      col = c >= 0 ? c + 1 : /^\s*$/.test(caret) ? caret.length + 1 : 0;
    }
    process.stdout.write(JSON.stringify({ ok: false, line, col, message: String(e && e.message || e) }));
  }
});`

// Check compiles script as Node.js would load it, without running it, for
// save-time validation of hooks that run on Node (whose syntax the embedded
// engine's parser may not know). It returns nil or a *sandbox.CompileError.
// It starts one short-lived node process.
func (e *Engine) Check(ctx context.Context, script string) error {
	ctx, cancel := context.WithTimeout(ctx, e.opts.StartTimeout)
	defer cancel()
	args := []string{"--max-old-space-size=" + fmt.Sprint(e.heapMiB())}
	if f := e.node.permissionFlag(); f != "" {
		args = append(args, f)
	}
	cmd := exec.CommandContext(ctx, e.node.Path, append(args, "-e", checkSource)...)
	cmd.Env = []string{}
	cmd.Dir = "/"
	cmd.Stdin = bytes.NewReader([]byte(script))
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("noderun: checking the script: %v (after %v)", err, time.Since(start).Round(time.Millisecond))
	}
	var r struct {
		OK      bool   `json:"ok"`
		Line    int    `json:"line"`
		Col     int    `json:"col"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return fmt.Errorf("noderun: checking the script: %v", err)
	}
	if r.OK {
		return nil
	}
	return &sandbox.CompileError{Line: r.Line, Column: r.Col, Message: sandbox.CapMessage(r.Message)}
}
