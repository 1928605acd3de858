//go:build unix

package jsvm

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// cpuNow returns the CPU time of this process plus the live workers of e
// (read from /proc/<pid>/stat, since RUSAGE_CHILDREN only counts reaped ones).
func cpuNow(e sandbox.Engine) time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano()+ru.Stime.Nano()) + workersCPU(e)
}

// workersCPU is the CPU time of e's live workers alone.
func workersCPU(e sandbox.Engine) time.Duration {
	var d time.Duration
	if p, ok := e.(*pool); ok {
		for _, s := range p.workers {
			if w := s.current(); w != nil {
				d += procCPU(w.cmd.Process.Pid)
			}
		}
	}
	return d
}

func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // CLK_TCK is 100 on Linux
}

func benchEngine(b *testing.B, e sandbox.Engine, parallel bool) {
	ctx := context.Background()
	inv := sandbox.Invocation{Script: benignScript, Args: simpleArgs, ContextArg: 3, Env: map[string]string{"KEY": "s3cret"}}
	if out, err := e.Run(ctx, inv, nil); err != nil || string(out.Response) != benignWant {
		b.Fatalf("%s %v", out.Response, err)
	}
	start, wstart := cpuNow(e), workersCPU(e)
	b.ResetTimer()
	if parallel {
		b.SetParallelism(8) // 16 goroutines on 2 cores
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := e.Run(ctx, inv, nil); err != nil {
					b.Error(err)
					return
				}
			}
		})
	} else {
		for i := 0; i < b.N; i++ {
			if _, err := e.Run(ctx, inv, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuNow(e)-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	if _, ok := e.(*pool); ok {
		b.ReportMetric(float64((workersCPU(e)-wstart).Nanoseconds())/float64(b.N), "worker-cpu-ns/op")
	}
}

func BenchmarkPoolSimpleHook(b *testing.B) {
	benchEngine(b, testPool(b, sandbox.Options{Workers: 2}), false)
}

func BenchmarkPoolSimpleHookParallel(b *testing.B) {
	benchEngine(b, testPool(b, sandbox.Options{Workers: 2}), true)
}

func BenchmarkInProcessSimpleHook(b *testing.B) {
	e, _ := NewInProcess(sandbox.Options{})
	benchEngine(b, e, false)
}

func BenchmarkInProcessSimpleHookParallel(b *testing.B) {
	e, _ := NewInProcess(sandbox.Options{})
	benchEngine(b, e, true)
}
