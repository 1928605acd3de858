package jsvm

import (
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// busyPage is a page of memory shared by the parent and one worker, in which
// the worker marks the executions that are running JavaScript at this
// moment (rather than waiting for a timer, a fetch or a storage reply): one
// slot per such execution, holding its request id. When the worker dies of
// memory, what was running then is what allocated; the executions that were
// only waiting are not the cause and are run again on a fresh worker
// (issue 12 item 11). The page's last word holds the execution that most
// recently stopped running JavaScript: when nothing runs JavaScript at the
// death (memory held by Go for a hook's fetches, the hook waiting on them),
// that is the hook that was at work, not the oldest one waiting. The parent
// reads the page after the process died, so no frame and no system call is
// spent per execution.
type busyPage struct {
	mem []byte
}

const (
	busySlots = 512 // 4 KiB of uint64
	// lastSlot is the last word: not a running slot but the last id to
	// leave JavaScript.
	lastSlot = busySlots - 1
)

func newBusyPage() (*busyPage, *os.File, error) {
	fd, err := unix.MemfdCreate("tokenhook-hook-worker", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, nil, err
	}
	f := os.NewFile(uintptr(fd), "busy-page")
	if err := unix.Ftruncate(fd, busySlots*8); err != nil {
		f.Close()
		return nil, nil, err
	}
	b, err := mapBusy(f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return b, f, nil
}

func mapBusy(f *os.File) (*busyPage, error) {
	mem, err := unix.Mmap(int(f.Fd()), 0, busySlots*8, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return &busyPage{mem: mem}, nil
}

func (b *busyPage) slot(i int) *uint64 { return (*uint64)(unsafe.Pointer(&b.mem[i*8])) }

// enter marks id as running JavaScript and returns its slot (-1: none free
// or no page).
func (b *busyPage) enter(id uint64) int {
	if b == nil {
		return -1
	}
	for i := 0; i < lastSlot; i++ {
		if atomic.CompareAndSwapUint64(b.slot(i), 0, id) {
			return i
		}
	}
	return -1
}

func (b *busyPage) exit(i int) {
	if b != nil && i >= 0 {
		// Recorded before the slot is freed: a death in between still
		// finds the execution in one of the two.
		atomic.StoreUint64(b.slot(lastSlot), atomic.LoadUint64(b.slot(i)))
		atomic.StoreUint64(b.slot(i), 0)
	}
}

// last is the execution that most recently stopped running JavaScript (0:
// none yet or no page).
func (b *busyPage) last() uint64 {
	if b == nil {
		return 0
	}
	return atomic.LoadUint64(b.slot(lastSlot))
}

// ids lists the executions marked running.
func (b *busyPage) ids() map[uint64]bool {
	if b == nil {
		return nil
	}
	out := map[uint64]bool{}
	for i := 0; i < lastSlot; i++ {
		if id := atomic.LoadUint64(b.slot(i)); id != 0 {
			out[id] = true
		}
	}
	return out
}

func (b *busyPage) close() {
	if b != nil {
		_ = unix.Munmap(b.mem)
	}
}
