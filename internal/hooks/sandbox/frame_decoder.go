package sandbox

import (
	"encoding/binary"
	"errors"
)

// ErrShortFrame is a frame payload that ends before its fields do.
var ErrShortFrame = errors.New("sandbox: short frame")

// FrameDecoder reads the little-endian fields of one worker frame payload,
// the wire format both runtimes' workers speak. Any overrun sets Err and
// every later read yields zero values, so a caller checks Err once.
type FrameDecoder struct {
	b   []byte
	err error
}

// NewFrameDecoder reads from payload, which it aliases.
func NewFrameDecoder(payload []byte) *FrameDecoder { return &FrameDecoder{b: payload} }

// Err is the first overrun, if any.
func (d *FrameDecoder) Err() error { return d.err }

// Len is what is left unread.
func (d *FrameDecoder) Len() int { return len(d.b) }

func (d *FrameDecoder) need(n int) bool {
	if d.err != nil || n < 0 || len(d.b) < n {
		d.err = ErrShortFrame
		return false
	}
	return true
}

// U8 reads one byte.
func (d *FrameDecoder) U8() byte {
	if !d.need(1) {
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

// U32 reads a uint32.
func (d *FrameDecoder) U32() uint32 {
	if !d.need(4) {
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v
}

// U64 reads a uint64.
func (d *FrameDecoder) U64() uint64 {
	if !d.need(8) {
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

// Bytes reads a u32 length and that many bytes (aliasing the payload).
func (d *FrameDecoder) Bytes() []byte {
	n := int(d.U32())
	if !d.need(n) {
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

// Rest reads everything left.
func (d *FrameDecoder) Rest() []byte { v := d.b; d.b = nil; return v }
