package main

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"mime/multipart"
	"net/textproto"
)

// imageUpload sends a picture where the upload routes take one (and
// anywhere else): a real PNG, one that claims to be 30000×30000 (a
// decompression bomb), a truncated one, or another format's header.
func imageUpload(rng *rand.Rand, d *draft, _ *generator) {
	var file []byte
	ctype := "image/png"
	switch rng.IntN(5) {
	case 0:
		file = tinyPNG(rng)
	case 1:
		file = bombPNG(30000, 30000)
	case 2:
		p := tinyPNG(rng)
		file = p[:len(p)/2]
	case 3:
		file, ctype = []byte("GIF89a\xff\xff\xff\xff\x00\x00\x00;"), "image/gif"
	default:
		file, ctype = []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), "image/svg+xml"
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.SetBoundary("fz" + randomID(rng, 28))
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="x.png"`)
	h.Set("Content-Type", ctype)
	w, _ := mw.CreatePart(h)
	w.Write(file)
	mw.Close()
	setBody(d, b.Bytes(), mw.FormDataContentType())
}

// tinyPNG is a real, small PNG of random pixels.
func tinyPNG(rng *rand.Rand) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 1+rng.IntN(16), 1+rng.IntN(16)))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.UintN(256))
	}
	img.Set(0, 0, color.White)
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// bombPNG is a PNG header for a w×h image with next to no data: what
// reads the size before decoding refuses it, what does not runs out of
// memory.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}
