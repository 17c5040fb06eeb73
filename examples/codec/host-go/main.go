// A codec host in Go, as the C host does it:
//
//  1. encode pseudo-random frames through the plugin into a file of several megabytes;
//
//  2. stream the file back through a decoder resource in odd-sized chunks, pulling frames
//     as they complete, and verify every frame against the original sequence;
//
//  3. check the two error cases: a frame over the decoder's limit, and truncated input.
//
//     codec-host-go <plugin.so> [megabytes (default 4)]
//
// The package codec is generated: plugport gen examples/codec/wit --lang go-host --out
// examples/codec/host-go (scripts/build-examples.sh does it).
package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"

	"example.invalid/plugport/examples/codec/host-go/codec"
)

const (
	chunk    = 65521 // a prime, so chunk borders fall inside frames and headers
	maxFrame = 65536
)

type rng struct{ s uint64 }

func (r *rng) next() uint64 { // xorshift64*, as the C host
	r.s ^= r.s >> 12
	r.s ^= r.s << 25
	r.s ^= r.s >> 27
	return r.s * 2685821657736338717
}

// frame i of the test sequence, as the C host makes it.
func (r *rng) frame() codec.Frame {
	n := r.next() % 9000
	if r.next()%16 == 0 {
		n = 0
	}
	stream := uint32(r.next() % 7)
	payload := make([]byte, n)
	for i := range payload {
		payload[i] = byte(r.next())
	}
	return codec.Frame{Stream: stream, Payload: payload}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "codec host: FAILED: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintf(os.Stderr, "usage: %s <plugin.so> [megabytes]\n", os.Args[0])
		os.Exit(2)
	}
	target := 4 << 20
	if len(os.Args) > 2 {
		mb, err := strconv.Atoi(os.Args[2])
		if err != nil {
			fail("megabytes: %v", err)
		}
		target = mb << 20
	}
	w, err := codec.Load(os.Args[1], codec.Imports{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "cannot load plugin: %v\n", err)
		os.Exit(1)
	}
	defer w.Close()
	fmt.Printf("go host: loaded %s %s\n", w.Plugin().Name(), w.Plugin().Version())
	fr := w.Framing()

	// 1. Encode frames into a temporary file.
	f, err := os.CreateTemp("", "codec-host-go-*")
	if err != nil {
		fail("temp file: %v", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	r := rng{0x9E3779B97F4A7C15}
	written, frames := 0, 0
	for written < target {
		res, err := fr.Encode(r.frame())
		if err != nil {
			fail("encode: %v", err)
		}
		if res.IsErr {
			fail("encode: %v", res.Err)
		}
		if _, err := f.Write(res.Ok); err != nil {
			fail("write: %v", err)
		}
		written += len(res.Ok)
		frames++
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		fail("seek: %v", err)
	}

	// 2. Stream it back through a decoder and verify every frame.
	dec, err := fr.NewDecoder(maxFrame)
	if err != nil {
		fail("decoder constructor: %v", err)
	}
	r = rng{0x9E3779B97F4A7C15}
	buf := make([]byte, chunk)
	decoded := 0
	for {
		n, err := f.Read(buf)
		if n == 0 || err == io.EOF {
			break
		}
		if err != nil {
			fail("read: %v", err)
		}
		pushed, err := dec.Push(buf[:n])
		if err != nil {
			fail("push: %v", err)
		}
		if pushed.IsErr {
			fail("push: %v", pushed.Err)
		}
		for {
			got, err := dec.Pull()
			if err != nil {
				fail("pull: %v", err)
			}
			if got == nil {
				break
			}
			want := r.frame()
			if got.Stream != want.Stream || !bytes.Equal(got.Payload, want.Payload) {
				fail("frame %d content", decoded)
			}
			decoded++
		}
	}
	fin, err := dec.Finish()
	if err != nil || fin.IsErr {
		fail("finish: %v %v", err, fin.Error())
	}
	dec.Close()
	if decoded != frames {
		fail("frame count: %d of %d", decoded, frames)
	}
	fmt.Printf("go host: streamed %d bytes in %d-byte chunks: %d of %d frames verified\n",
		written, chunk, decoded, frames)

	// 3. The error cases are values of the WIT variant codec-error.
	dec, err = fr.NewDecoder(16)
	if err != nil {
		fail("decoder constructor: %v", err)
	}
	defer dec.Close()
	big := []byte{0, 0, 0, 1, 0, 0, 0x03, 0xE8} // 1000 bytes > 16
	pushed, err := dec.Push(big)
	if err != nil {
		fail("push: %v", err)
	}
	if !pushed.IsErr || pushed.Err.Tag != codec.CodecErrorFrameTooLarge || pushed.Err.FrameTooLarge != 1000 {
		fail("frame-too-large error: got %+v", pushed)
	}
	tooLarge := pushed.Err
	if pushed, err = dec.Push(big[:5]); err != nil || pushed.IsErr {
		fail("partial push: %v %v", err, pushed.Error())
	}
	fin, err = dec.Finish()
	if err != nil {
		fail("finish: %v", err)
	}
	if !fin.IsErr || fin.Err.Tag != codec.CodecErrorTruncated || fin.Err.Truncated != 5 {
		fail("truncated error: got %+v", fin)
	}
	fmt.Printf("go host: errors reported as codec-error values: %v, %v\n",
		short(tooLarge), short(fin.Err))
	fmt.Println("go host: OK")
}

// short is "frame-too-large(1000)" for "codec-error: frame-too-large(1000)".
func short(err error) string {
	s := err.Error()
	if i := bytes.IndexByte([]byte(s), ' '); i >= 0 {
		return s[i+1:]
	}
	return s
}
