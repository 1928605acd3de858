//go:build !linux

package jsvm

import (
	"errors"
	"os"
)

// busyPage is Linux-only (memfd); elsewhere a worker's death is blamed on
// its oldest execution in flight.
type busyPage struct{}

func newBusyPage() (*busyPage, *os.File, error) { return nil, nil, errors.New("not supported") }
func mapBusy(*os.File) (*busyPage, error)       { return nil, errors.New("not supported") }
func (b *busyPage) enter(uint64) int            { return -1 }
func (b *busyPage) exit(int)                    {}
func (b *busyPage) ids() map[uint64]bool        { return nil }
func (b *busyPage) close()                      {}
func (b *busyPage) last() uint64                { return 0 }
