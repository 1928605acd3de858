package jsvm

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dop251/goja"
)

// consoleState is what Node's console keeps between calls: console.time
// labels, console.count counters and console.group's indentation. Like a
// warm Node worker's console it lives as long as the runtime; the
// indentation starts afresh with each execution.
type consoleState struct {
	timers map[string]time.Time
	counts map[string]int
	indent string
}

// maxConsoleLabels bounds the labels console.time and console.count keep,
// so a hook inventing labels in a loop cannot grow the runtime.
const maxConsoleLabels = 1000

// emit writes one console line of the current execution, indented by
// console.group as Node indents it (every line of a multi-line text).
func (v *vmState) emit(level, text string) {
	ex := v.cur
	if ex == nil {
		return
	}
	if ind := v.console.indent; ind != "" {
		text = ind + strings.ReplaceAll(text, "\n", "\n"+ind)
	}
	ex.log(level, text)
}

// installConsoleExtras adds the rest of Node's console: time, timeEnd,
// timeLog, count, countReset, assert, group, groupCollapsed, groupEnd,
// table, trace and clear. A hook calling console.time to measure an API
// call must not fail for want of it.
func (v *vmState) installConsoleExtras(console *goja.Object) {
	rt := v.rt
	c := &v.console
	c.timers = map[string]time.Time{}
	c.counts = map[string]int{}
	label := func(call goja.FunctionCall) string {
		if a := call.Argument(0); !goja.IsUndefined(a) {
			return a.String()
		}
		return "default"
	}
	set := func(name string, fn func(call goja.FunctionCall)) {
		_ = console.Set(name, func(call goja.FunctionCall) goja.Value {
			fn(call)
			return goja.Undefined()
		})
	}
	set("time", func(call goja.FunctionCall) {
		l := label(call)
		if _, ok := c.timers[l]; ok {
			v.emit("warn", "Warning: Label '"+l+"' already exists for console.time()")
			return
		}
		if len(c.timers) < maxConsoleLabels {
			c.timers[l] = time.Now()
		}
	})
	elapsed := func(name string, call goja.FunctionCall, end bool) {
		l := label(call)
		start, ok := c.timers[l]
		if !ok {
			v.emit("warn", "Warning: No such label '"+l+"' for console."+name+"()")
			return
		}
		if end {
			delete(c.timers, l)
		}
		text := l + ": " + formatDuration(time.Since(start))
		if len(call.Arguments) > 1 {
			text += " " + v.format(call.Arguments[1:])
		}
		v.emit("log", text)
	}
	set("timeEnd", func(call goja.FunctionCall) { elapsed("timeEnd", call, true) })
	set("timeLog", func(call goja.FunctionCall) { elapsed("timeLog", call, false) })
	set("count", func(call goja.FunctionCall) {
		l := label(call)
		if _, ok := c.counts[l]; !ok && len(c.counts) >= maxConsoleLabels {
			return
		}
		c.counts[l]++
		v.emit("log", l+": "+strconv.Itoa(c.counts[l]))
	})
	set("countReset", func(call goja.FunctionCall) {
		l := label(call)
		if _, ok := c.counts[l]; !ok {
			v.emit("warn", "Warning: Count for '"+l+"' does not exist")
			return
		}
		c.counts[l] = 0
	})
	set("assert", func(call goja.FunctionCall) {
		if call.Argument(0).ToBoolean() {
			return
		}
		if len(call.Arguments) < 2 {
			v.emit("warn", "Assertion failed")
			return
		}
		rest := call.Arguments[1:]
		if goja.IsString(rest[0]) {
			rest = append([]goja.Value{rt.ToValue("Assertion failed: " + rest[0].String())}, rest[1:]...)
		} else {
			rest = append([]goja.Value{rt.ToValue("Assertion failed:")}, rest...)
		}
		v.emit("warn", v.format(rest))
	})
	group := func(call goja.FunctionCall) {
		if len(call.Arguments) > 0 {
			v.emit("log", v.format(call.Arguments))
		}
		if len(c.indent) < 2*maxConsoleLabels {
			c.indent += "  "
		}
	}
	set("group", group)
	set("groupCollapsed", group)
	set("groupEnd", func(goja.FunctionCall) {
		if len(c.indent) >= 2 {
			c.indent = c.indent[2:]
		}
	})
	// console.table prints its data as console.log does: Node's box
	// drawing is not reproduced.
	set("table", func(call goja.FunctionCall) { v.emit("log", v.format(call.Arguments[:min(len(call.Arguments), 1)])) })
	set("trace", func(call goja.FunctionCall) {
		text := "Trace"
		if len(call.Arguments) > 0 {
			text += ": " + v.format(call.Arguments)
		}
		if st := v.newError("Error", "").Get("stack"); st != nil {
			// The hook's frames only, not the engine's native one.
			for _, f := range strings.Split(st.String(), "\n")[1:] {
				if f != "" && !strings.HasSuffix(f, "(native)") {
					text += "\n" + f
				}
			}
		}
		v.emit("error", text)
	})
	set("clear", func(goja.FunctionCall) {})
}

// formatDuration is Node's console.timeEnd format: "0.042ms", "1.500s",
// "1:02.003 (m:ss.mmm)".
func formatDuration(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	if ms < 1000 {
		return strconv.FormatFloat(math.Round(ms*1000)/1000, 'f', -1, 64) + "ms"
	}
	if ms < 60000 {
		return strconv.FormatFloat(ms/1000, 'f', 3, 64) + "s"
	}
	h := int(ms / 3600000)
	m := int(math.Mod(ms, 3600000) / 60000)
	sec := math.Mod(ms, 60000) / 1000
	secs := strconv.FormatFloat(sec, 'f', 3, 64)
	if sec < 10 {
		secs = "0" + secs
	}
	if h > 0 {
		return strconv.Itoa(h) + ":" + pad2(m) + ":" + secs + " (h:mm:ss.mmm)"
	}
	return strconv.Itoa(m) + ":" + secs + " (m:ss.mmm)"
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
