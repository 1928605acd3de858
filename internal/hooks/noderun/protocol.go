package noderun

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// Wire protocol between the engine (parent) and a runner process. The frame
// format is the one of internal/hooks/jsvm's workers:
//
//	u32 length of what follows | u8 type | u64 id | payload
//
// little-endian. The parent writes to the runner's fd 3 and reads its fd 4;
// the runner's stdout and stderr stay free for whatever hook code writes
// there, so a stray process.stdout.write cannot corrupt the stream.
// runner.js implements the other half; keep the two in step.
const (
	frameConfig    byte = 1  // parent→runner, id 0: JSON runnerConfig
	frameRun       byte = 2  // parent→runner, id = execution: u64 timeout ns | u32 context arg+1 | bytes env JSON | u32 n | n×bytes arg
	frameCancel    byte = 3  // parent→runner, id = execution: no payload
	frameLog       byte = 4  // runner→parent, id = execution: u64 unix ns | u8 level | text
	frameResult    byte = 5  // runner→parent, id = execution: u8 status | u64 duration ns | status-specific payload
	frameReady     byte = 6  // runner→parent, id 0: Node's version
	frameDone      byte = 7  // runner→parent, id = execution: the execution's work has ended (idle or deadline)
	frameHostCall  byte = 8  // runner→parent, id = execution: u64 call id | u8 op | op-specific payload
	frameHostReply byte = 9  // parent→runner, id = call id: u8 hostStatus | op-specific payload
	framePrepare   byte = 10 // parent→runner, id 0: bytes env JSON; load the hook's module now
)

// Result statuses (the same values as jsvm's).
const (
	statusOK byte = iota
	statusScriptError
	statusCompileError
	statusTimeout
	statusMemory
	statusTooLarge
	statusCanceled
)

// Host calls: context.webtask.storage, served by the parent from
// Invocation.Storage.
//
//	get: no payload → ok: str version | data (empty = no document)
//	set: u8 force | str ifVersion | data → ok: new version
//
// A failure carries a message; a set conflict has its own status.
const (
	hostGet byte = 1
	hostSet byte = 2

	hostOK       byte = 0
	hostConflict byte = 1
	hostFailed   byte = 2
)

const frameHeader = 4 + 1 + 8

var logLevels = []string{"log", "info", "warn", "error"}

// frameBuf builds one frame in place; finish patches the length.
type frameBuf []byte

func newFrame(typ byte, id uint64) frameBuf {
	b := make([]byte, 0, 64)
	b = append(b, 0, 0, 0, 0, typ)
	return binary.LittleEndian.AppendUint64(b, id)
}

func (f frameBuf) u8(v byte) frameBuf      { return append(f, v) }
func (f frameBuf) u32(v uint32) frameBuf   { return binary.LittleEndian.AppendUint32(f, v) }
func (f frameBuf) u64(v uint64) frameBuf   { return binary.LittleEndian.AppendUint64(f, v) }
func (f frameBuf) bytes(b []byte) frameBuf { return append(f.u32(uint32(len(b))), b...) }
func (f frameBuf) finish() []byte {
	binary.LittleEndian.PutUint32(f[:4], uint32(len(f)-4))
	return f
}

// readFrame reads one frame of at most max bytes; the payload is freshly
// allocated.
func readFrame(r *bufio.Reader, max uint32) (typ byte, id uint64, payload []byte, err error) {
	var hdr [frameHeader]byte
	if _, err = io.ReadFull(r, hdr[:]); err != nil {
		return 0, 0, nil, err
	}
	n := binary.LittleEndian.Uint32(hdr[:4])
	if n < 9 || n > max {
		return 0, 0, nil, fmt.Errorf("noderun: bad frame length %d", n)
	}
	payload = make([]byte, int(n)-9)
	if _, err = io.ReadFull(r, payload); err != nil {
		return 0, 0, nil, err
	}
	return hdr[4], binary.LittleEndian.Uint64(hdr[5:]), payload, nil
}
