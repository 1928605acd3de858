package eventlog

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// segmentBytes is the size past which the spool starts a new file, so a
// file whose events are all stored can be deleted while newer ones are
// still being written.
const segmentBytes = 4 << 20

const segmentExt = ".jsonl"

// errSpoolFull is the byte budget refusing an append.
var errSpoolFull = errors.New("eventlog: spool byte budget exhausted")

// spool is the on-disk journal of recorded events: files of JSON lines in
// dir, named by an increasing sequence number. Every event is appended
// (without fsync: a killed process loses nothing the kernel already has,
// a power cut may) before storage is asked to hold it, and a file is
// deleted once storage holds all of its events.
type spool struct {
	dir    string
	budget int64

	mu    sync.Mutex
	cur   *segment // being appended to; nil until the first append
	total int64    // bytes in every live file
	next  uint64   // sequence number of the next file
	enc   bytes.Buffer
}

type segment struct {
	seq       uint64
	path      string
	f         *os.File // open while this is the current segment
	size      int64    // bytes written
	committed int64    // bytes whose events storage holds
	sealed    bool     // no more appends
}

// spoolEvent is one line of a spool file.
type spoolEvent struct {
	Tenant      string         `json:"tenant"`
	LogID       string         `json:"log_id"`
	Date        time.Time      `json:"date"`
	Type        string         `json:"type"`
	Description string         `json:"description,omitempty"`
	ClientID    string         `json:"client_id,omitempty"`
	ClientName  string         `json:"client_name,omitempty"`
	IP          string         `json:"ip,omitempty"`
	UserAgent   string         `json:"user_agent,omitempty"`
	UserID      string         `json:"user_id,omitempty"`
	UserName    string         `json:"user_name,omitempty"`
	Audience    string         `json:"audience,omitempty"`
	Scope       string         `json:"scope,omitempty"`
	Details     map[string]any `json:"details,omitempty"`
}

// openSpool opens dir, creating it, and returns the files a previous
// process left: their events may not all be in storage, so they are
// written again (storage ignores an event it already holds).
func openSpool(dir string, budget int64) (*spool, []*segment, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("eventlog: spool: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("eventlog: spool: %w", err)
	}
	s := &spool{dir: dir, budget: budget, next: 1}
	var left []*segment
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), segmentExt)
		seq, err := strconv.ParseUint(name, 10, 64)
		if !ok || err != nil || e.IsDir() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, nil, fmt.Errorf("eventlog: spool: %w", err)
		}
		seg := &segment{seq: seq, path: filepath.Join(dir, e.Name()), size: info.Size(), sealed: true}
		if seg.size == 0 {
			os.Remove(seg.path)
			continue
		}
		left = append(left, seg)
		s.total += seg.size
		s.next = max(s.next, seq+1)
	}
	slices.SortFunc(left, func(a, b *segment) int { return cmp.Compare(a.seq, b.seq) })
	return s, left, nil
}

// append writes events at the end of the current file and returns where.
func (s *spool) append(events []storage.LogEvent) (*segment, int64, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enc.Reset()
	enc := json.NewEncoder(&s.enc)
	enc.SetEscapeHTML(false)
	for _, e := range events {
		if err := enc.Encode(spoolEvent{
			Tenant: e.Tenant, LogID: e.LogID, Date: e.Date, Type: e.Type, Description: e.Description,
			ClientID: e.ClientID, ClientName: e.ClientName, IP: e.IP, UserAgent: e.UserAgent,
			UserID: e.UserID, UserName: e.UserName, Audience: e.Audience, Scope: e.Scope, Details: e.Details,
		}); err != nil {
			return nil, 0, 0, fmt.Errorf("eventlog: spool: encode: %w", err)
		}
	}
	n := int64(s.enc.Len())
	if s.total+n > s.budget {
		return nil, 0, 0, errSpoolFull
	}
	if s.cur == nil || s.cur.size >= segmentBytes {
		if err := s.rotate(); err != nil {
			return nil, 0, 0, err
		}
	}
	seg := s.cur
	off := seg.size
	written, err := seg.f.Write(s.enc.Bytes())
	seg.size += int64(written)
	s.total += int64(written)
	if err != nil {
		// A partial line is skipped when the file is read back.
		return nil, 0, 0, fmt.Errorf("eventlog: spool: %w", err)
	}
	return seg, off, seg.size, nil
}

// rotate seals the current file and starts the next. Called with mu held.
func (s *spool) rotate() error {
	path := filepath.Join(s.dir, fmt.Sprintf("%020d%s", s.next, segmentExt))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("eventlog: spool: %w", err)
	}
	if s.cur != nil {
		s.seal(s.cur)
	}
	s.cur = &segment{seq: s.next, path: path, f: f}
	s.next++
	return nil
}

// seal closes seg for appends, deleting it when storage holds all of it.
// Called with mu held.
func (s *spool) seal(seg *segment) {
	seg.sealed = true
	if seg.f != nil {
		seg.f.Close()
		seg.f = nil
	}
	if seg.committed == seg.size {
		s.remove(seg)
	}
}

func (s *spool) remove(seg *segment) {
	os.Remove(seg.path)
	s.total -= seg.size
	seg.size, seg.committed = 0, 0
}

// commit records that storage holds seg's events up to end, deleting (or,
// for the current file, emptying) a file storage holds entirely.
func (s *spool) commit(seg *segment, end int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seg.committed = max(seg.committed, end)
	if seg.committed < seg.size {
		return
	}
	switch {
	case seg.sealed:
		s.remove(seg)
	case seg == s.cur:
		// Nothing in it is waiting: start it over rather than keep a
		// file of stored events that a restart would write again.
		if err := seg.f.Truncate(0); err == nil {
			s.total -= seg.size
			seg.size, seg.committed = 0, 0
		}
	}
}

// read returns the events stored in seg between off and end; lines that
// do not decode (a write cut short) are counted, not returned.
func (s *spool) read(seg *segment, off, end int64) ([]storage.LogEvent, int, error) {
	f, err := os.Open(seg.path)
	if err != nil {
		return nil, 0, fmt.Errorf("eventlog: spool: %w", err)
	}
	defer f.Close()
	buf := make([]byte, end-off)
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return nil, 0, fmt.Errorf("eventlog: spool: %w", err)
	}
	var (
		out []storage.LogEvent
		bad int
	)
	for line := range bytes.SplitSeq(buf, []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e spoolEvent
		if err := json.Unmarshal(line, &e); err != nil || e.LogID == "" {
			bad++
			continue
		}
		out = append(out, storage.LogEvent{
			Tenant: e.Tenant, LogID: e.LogID, Date: e.Date, Type: e.Type, Description: e.Description,
			ClientID: e.ClientID, ClientName: e.ClientName, IP: e.IP, UserAgent: e.UserAgent,
			UserID: e.UserID, UserName: e.UserName, Audience: e.Audience, Scope: e.Scope, Details: e.Details,
		})
	}
	return out, bad, nil
}

// bytes is the spool's size on disk.
func (s *spool) bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// close closes the current file, deleting it when storage holds it all.
func (s *spool) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil {
		s.seal(s.cur)
		s.cur = nil
	}
}
