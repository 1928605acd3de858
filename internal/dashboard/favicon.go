package dashboard

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"sync"
)

// favicon is /favicon.ico, drawn here rather than kept as a binary in the
// repository: a 32×32 PNG (the accent colour's rounded square with a white
// hook) in an ICO container, which every browser reads. It is served
// whether or not the binary embeds the built UI, so browsers that ask for
// it on any page (the token endpoint's JSON included) get an icon, not a 404.
var favicon = sync.OnceValue(func() []byte {
	const size = 32
	accent := color.NRGBA{0x3b, 0x5b, 0xdb, 0xff}
	white := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	inRounded := func(x, y float64) bool {
		const r = 7.0
		cx := math.Max(r, math.Min(size-r, x))
		cy := math.Max(r, math.Min(size-r, y))
		return math.Hypot(x-cx, y-cy) <= r
	}
	inHook := func(x, y float64) bool {
		// The shank: a bar down the right, then the bend: half a ring
		// below it, ending in a short point on the left.
		if x >= 18 && x <= 21.5 && y >= 6 && y <= 19 {
			return true
		}
		if y >= 19 {
			d := math.Hypot(x-14, y-19)
			return d >= 4 && d <= 7.5
		}
		return x >= 6.5 && x <= 10 && y >= 15 && y <= 19
	}
	for y := range size {
		for x := range size {
			px, py := float64(x)+0.5, float64(y)+0.5
			switch {
			case !inRounded(px, py):
			case inHook(px, py):
				img.SetNRGBA(x, y, white)
			default:
				img.SetNRGBA(x, y, accent)
			}
		}
	}
	var pngData bytes.Buffer
	if err := png.Encode(&pngData, img); err != nil {
		panic(err) // encoding an in-memory image cannot fail
	}
	// ICONDIR (reserved, type 1 = icon, one image) and one ICONDIRENTRY
	// pointing at the PNG right after them.
	var out bytes.Buffer
	_ = binary.Write(&out, binary.LittleEndian, [3]uint16{0, 1, 1})
	out.Write([]byte{size, size, 0, 0})
	_ = binary.Write(&out, binary.LittleEndian, [2]uint16{1, 32})
	_ = binary.Write(&out, binary.LittleEndian, [2]uint32{uint32(pngData.Len()), 6 + 16})
	out.Write(pngData.Bytes())
	return out.Bytes()
})

// ServeFavicon answers GET /favicon.ico.
func (d *Dashboard) ServeFavicon(w http.ResponseWriter, r *http.Request) {
	pageHeaders(w, "")
	w.Header().Set("Content-Type", "image/x-icon")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(favicon())
}
