package jsvm

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// Wire protocol between the pool (parent) and a worker, over the worker's
// stdin (requests) and stdout (replies). Every frame is
//
//	u32 length of what follows | u8 type | u64 request id | payload
//
// little-endian. Binary rather than JSON because the frame is on the path of
// every token request: encoding is a few appends, decoding a few slices, and
// the arguments travel as the raw JSON the caller built. Several requests may
// be in flight on one worker; replies carry the request id.
const (
	frameConfig byte = 1  // parent→worker, id 0: u64 memory limit | egress policy spec (JSON)
	frameRun    byte = 2  // parent→worker: u64 timeout ns | u32 max response | u64 script id | u8 flags | u32 context arg+1 | u32 nenv | nenv×(str k, str v) | u32 n | n×str arg
	frameCancel byte = 3  // parent→worker: no payload
	frameLog    byte = 4  // worker→parent: i64 unix ns | u8 level | text
	frameResult byte = 5  // worker→parent: u8 status (|statusTrailing) | i64 duration ns | status-specific payload
	frameScript byte = 6  // parent→worker, id = script id: str cache key ("" = the source) | the source
	frameForget byte = 7  // parent→worker, id = script id: no payload
	frameHost   byte = 8  // worker→parent, id = run id: u64 seq | u8 op | u8 force | str if-version | data
	frameReply  byte = 9  // parent→worker, id = run id: u64 seq | u8 host status | str version | data
	frameEnd    byte = 10 // worker→parent, id = run id: the execution's work after its answer ended
)

// Run flags.
const (
	runIsolated byte = 1 << iota
)

// Host operations (frameHost) and their reply statuses (frameReply): a
// worker reaches the hook's storage through the parent, which holds it.
const (
	hostStorageGet byte = 1
	hostStorageSet byte = 2

	hostOK       byte = 0
	hostConflict byte = 1
	hostNone     byte = 2 // the invocation has no storage
	hostFailed   byte = 3
	hostDeadline byte = 4
)

// statusTrailing is or-ed into a result's status when the hook left work
// running after its answer: the worker sends frameEnd when that work ends,
// and log frames of the execution may arrive until then.
const statusTrailing byte = 0x80

// A script's source travels once per worker process, in a frameScript with an
// id chosen by the parent; run frames then name it by id. Sending the source
// with every run cost a copy and a hash of it on both sides per token. The
// parent keeps at most maxWorkerScripts ids per worker and sends frameForget
// for the one it drops, so the worker's table stays bounded too. Frames on the
// pipe are ordered, so a script frame always precedes the first run using it.
const maxWorkerScripts = 128

// Result statuses.
const (
	statusOK byte = iota
	statusScriptError
	statusCompileError
	statusTimeout
	statusMemory
	statusTooLarge
	statusCanceled
	statusCrashed
)

const (
	frameHeader  = 4 + 1 + 8
	maxFrameSize = 64 << 20
)

var logLevels = []string{"log", "info", "warn", "error"}

func levelIndex(l string) byte {
	for i, s := range logLevels {
		if s == l {
			return byte(i)
		}
	}
	return 0
}

// frameBuf builds one frame in place; the length is patched by finish.
type frameBuf []byte

func newFrame(b []byte, typ byte, id uint64) frameBuf {
	b = append(b[:0], 0, 0, 0, 0, typ)
	return binary.LittleEndian.AppendUint64(b, id)
}

func (f frameBuf) u8(v byte) frameBuf    { return append(f, v) }
func (f frameBuf) u32(v uint32) frameBuf { return binary.LittleEndian.AppendUint32(f, v) }
func (f frameBuf) u64(v uint64) frameBuf { return binary.LittleEndian.AppendUint64(f, v) }
func (f frameBuf) str(s string) frameBuf { return append(f.u32(uint32(len(s))), s...) }
func (f frameBuf) bytes(b []byte) frameBuf {
	return append(f.u32(uint32(len(b))), b...)
}
func (f frameBuf) finish() []byte {
	binary.LittleEndian.PutUint32(f[:4], uint32(len(f)-4))
	return f
}

// readFrame reads one frame into buf (grown as needed) and returns its type,
// id and payload, which aliases buf.
func readFrame(r *bufio.Reader, buf []byte) (typ byte, id uint64, payload, newBuf []byte, err error) {
	var hdr [frameHeader]byte
	if _, err = io.ReadFull(r, hdr[:]); err != nil {
		return 0, 0, nil, buf, err
	}
	n := binary.LittleEndian.Uint32(hdr[:4])
	if n < 9 || n > maxFrameSize {
		return 0, 0, nil, buf, fmt.Errorf("jsvm: bad frame length %d", n)
	}
	typ, id = hdr[4], binary.LittleEndian.Uint64(hdr[5:])
	size := int(n) - 9
	if cap(buf) < size {
		buf = make([]byte, size)
	}
	buf = buf[:size]
	if _, err = io.ReadFull(r, buf); err != nil {
		return 0, 0, nil, buf, err
	}
	return typ, id, buf, buf, nil
}

// encodeResult turns an execution's outcome into a result frame.
func encodeResult(b []byte, id uint64, out sandbox.Outcome, err error, trailing bool) []byte {
	f := newFrame(b, frameResult, id)
	var ce *sandbox.CompileError
	switch {
	case err == nil && out.Err != nil:
		f = f.u8(statusScriptError).u64(uint64(out.Duration)).str(out.Err.Name)
		f = append(f, out.Err.Message...)
	case err == nil:
		f = f.u8(statusOK).u64(uint64(out.Duration))
		f = append(f, out.Response...)
	case errors.As(err, &ce):
		f = f.u8(statusCompileError).u64(uint64(out.Duration)).u32(uint32(ce.Line)).u32(uint32(ce.Column))
		f = append(f, ce.Message...)
	default:
		st := statusCrashed
		switch {
		case errors.Is(err, sandbox.ErrTimeout):
			st = statusTimeout
		case errors.Is(err, sandbox.ErrMemory):
			st = statusMemory
		case errors.Is(err, sandbox.ErrTooLarge):
			st = statusTooLarge
		case errors.Is(err, errCanceled):
			st = statusCanceled
		}
		f = f.u8(st).u64(uint64(out.Duration))
		f = append(f, err.Error()...)
	}
	out2 := f.finish()
	if trailing {
		out2[frameHeader] |= statusTrailing
	}
	return out2
}

// errCanceled is what the worker uses when the parent cancelled a request;
// the parent replaces it with its own context's error.
var errCanceled = errors.New("jsvm: execution canceled")

// decodeResult is the parent's half of encodeResult.
func decodeResult(payload []byte) (out sandbox.Outcome, err error, trailing bool) {
	d := sandbox.NewFrameDecoder(payload)
	st := d.U8()
	trailing = st&statusTrailing != 0
	st &^= statusTrailing
	out, err = decodeStatus(st, d, out)
	return out, err, trailing
}

func decodeStatus(st byte, d *sandbox.FrameDecoder, out sandbox.Outcome) (sandbox.Outcome, error) {
	out.Duration = time.Duration(d.U64())
	if d.Err() != nil {
		return out, fmt.Errorf("%w: %v", sandbox.ErrCrashed, d.Err())
	}
	switch st {
	case statusOK:
		out.Response = append([]byte(nil), d.Rest()...)
	case statusScriptError:
		name := string(d.Bytes())
		// The worker caps both already; cap again so a broken worker cannot
		// hand the server a huge message either.
		msg := d.Rest()
		out.Err = &sandbox.HookError{Name: sandbox.Truncate(name, maxErrorName), Message: sandbox.CapMessage(string(msg[:min(len(msg), sandbox.MaxErrorMessage+1)]))}
	case statusCompileError:
		line, col := d.U32(), d.U32()
		return out, &sandbox.CompileError{Line: int(line), Column: int(col), Message: string(d.Rest())}
	case statusTimeout:
		return out, sandbox.ErrTimeout
	case statusMemory:
		return out, sandbox.ErrMemory
	case statusTooLarge:
		return out, sandbox.ErrTooLarge
	case statusCanceled:
		return out, errCanceled
	default:
		return out, fmt.Errorf("%w: %s", sandbox.ErrCrashed, d.Rest())
	}
	return out, d.Err()
}
