package sandbox

import (
	"os"
	"strconv"
	"strings"
	"sync"
)

// What both runtimes' supervisors need of a worker process.

// TailBuffer keeps the first and the last few KiB a worker process wrote
// to stderr: the head holds a fatal error's reason ("out of memory", a V8
// abort), the tail the end of whatever came after. Safe for concurrent use.
type TailBuffer struct {
	mu   sync.Mutex
	head []byte
	buf  []byte
}

func (t *TailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := 4<<10 - len(t.head); n > 0 {
		t.head = append(t.head, p[:min(n, len(p))]...)
	}
	t.buf = append(t.buf, p...)
	if len(t.buf) > 8<<10 {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-4<<10:]...)
	}
	return len(p), nil
}

// Bytes is a copy of the head and the tail.
func (t *TailBuffer) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append(append([]byte(nil), t.head...), t.buf...)
}

// ResidentPages is a process's resident set in pages, from
// /proc/<pid>/statm; 0 where that is not available.
func ResidentPages(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.ParseInt(f[1], 10, 64)
	return n
}
