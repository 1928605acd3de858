package jsvm

import (
	"os"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// watchInterval is how often busy workers' memory is checked. RSS can grow by
// a few hundred MiB in that time; RLIMIT_DATA catches faster growth.
const watchInterval = 25 * time.Millisecond

// watchdog polls the resident set of every busy worker and kills one that
// exceeds the memory limit; the executions running JavaScript at that moment
// are blamed (see busyPage).
func (p *pool) watchdog() {
	t := time.NewTicker(watchInterval)
	defer t.Stop()
	page := int64(os.Getpagesize())
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		watched := make([]*workerProc, 0, len(p.workers)+aloneWorkers)
		for _, s := range p.workers {
			watched = append(watched, s.current())
		}
		p.aloneMu.Lock()
		for w := range p.alone {
			watched = append(watched, w)
		}
		p.aloneMu.Unlock()
		for _, w := range watched {
			if w == nil || w.inflight.Load() == 0 {
				continue
			}
			rss := sandbox.ResidentPages(w.cmd.Process.Pid) * page
			if rss > p.opts.MemoryLimit {
				w.memKilled.Store(true)
				w.kill(nil, nil)
			}
		}
	}
}
