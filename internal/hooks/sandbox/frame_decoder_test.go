package sandbox

import (
	"encoding/binary"
	"errors"
	"testing"
)

func TestFrameDecoderReadsFieldsAndStopsAtOverrun(t *testing.T) {
	var b []byte
	b = append(b, 7)
	b = binary.LittleEndian.AppendUint32(b, 42)
	b = binary.LittleEndian.AppendUint64(b, 1<<40)
	b = binary.LittleEndian.AppendUint32(b, 3)
	b = append(b, "abcrest"...)
	d := NewFrameDecoder(b)
	if d.U8() != 7 || d.U32() != 42 || d.U64() != 1<<40 || string(d.Bytes()) != "abc" || d.Len() != 4 || string(d.Rest()) != "rest" || d.Err() != nil {
		t.Fatalf("fields misread: err %v", d.Err())
	}
	// A length that runs past the payload is an overrun, and so is every
	// read after it.
	d = NewFrameDecoder(binary.LittleEndian.AppendUint32(nil, 100))
	if d.Bytes() != nil || !errors.Is(d.Err(), ErrShortFrame) || d.U8() != 0 || !errors.Is(d.Err(), ErrShortFrame) {
		t.Fatalf("overrun not reported: %v", d.Err())
	}
}
