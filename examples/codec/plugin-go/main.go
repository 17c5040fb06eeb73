// The framing codec in Go (same wire format as the C and Rust plugins: stream id u32 BE,
// payload length u32 BE, payload), built with go build -buildmode=c-shared into
// libcodec_go.so. The decoder resource is a Go object; hosts hold it as a handle whose
// self is a C cell with a cgo.Handle, and drop it through the vtable.
//
// The package codecplugin is generated: plugport gen examples/codec/wit --lang go-guest
// --plugin-name codec-go --plugin-version 1.0.0 --out examples/codec/plugin-go.
package main

import (
	"encoding/binary"
	"sync"

	plugport "example.invalid/plugport/go"

	"example.invalid/plugport/examples/codec/plugin-go/codecplugin"
)

type result32 = plugport.Result[uint32, codecplugin.CodecError]
type resultUnit = plugport.Result[plugport.Unit, codecplugin.CodecError]

// decoder buffers input until frames are complete; a mutex makes it safe to use from
// several threads.
type decoder struct {
	mu       sync.Mutex
	maxFrame uint32
	pending  []byte
	frames   []codecplugin.Frame
}

func (d *decoder) Push(data []byte) (result32, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pending = append(d.pending, data...)
	pos := 0
	for len(d.pending)-pos >= 8 {
		stream := binary.BigEndian.Uint32(d.pending[pos:])
		n := binary.BigEndian.Uint32(d.pending[pos+4:])
		if n > d.maxFrame {
			d.pending = d.pending[:0]
			return plugport.Fail[uint32](codecplugin.CodecError{
				Tag:           codecplugin.CodecErrorFrameTooLarge,
				FrameTooLarge: uint64(n),
			}), nil
		}
		if uint32(len(d.pending)-pos-8) < n {
			break
		}
		payload := append([]byte(nil), d.pending[pos+8:pos+8+int(n)]...)
		d.frames = append(d.frames, codecplugin.Frame{Stream: stream, Payload: payload})
		pos += 8 + int(n)
	}
	d.pending = append(d.pending[:0], d.pending[pos:]...)
	return plugport.Ok[uint32, codecplugin.CodecError](uint32(len(d.frames))), nil
}

func (d *decoder) Pull() (*codecplugin.Frame, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.frames) == 0 {
		return nil, nil
	}
	f := d.frames[0]
	d.frames = d.frames[1:]
	return &f, nil
}

func (d *decoder) Finish() (resultUnit, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.pending) > 0 {
		return plugport.Fail[plugport.Unit](codecplugin.CodecError{
			Tag:       codecplugin.CodecErrorTruncated,
			Truncated: uint32(len(d.pending)),
		}), nil
	}
	return plugport.Ok[plugport.Unit, codecplugin.CodecError](plugport.Unit{}), nil
}

type framing struct{}

func (framing) NewDecoder(maxFrame uint32) (codecplugin.Decoder, error) {
	return &decoder{maxFrame: maxFrame}, nil
}

func (framing) Encode(frame codecplugin.Frame) (plugport.Result[[]byte, codecplugin.CodecError], error) {
	if uint64(len(frame.Payload)) > 0xFFFFFFFF {
		return plugport.Fail[[]byte](codecplugin.CodecError{
			Tag:           codecplugin.CodecErrorFrameTooLarge,
			FrameTooLarge: uint64(len(frame.Payload)),
		}), nil
	}
	out := make([]byte, 8+len(frame.Payload))
	binary.BigEndian.PutUint32(out, frame.Stream)
	binary.BigEndian.PutUint32(out[4:], uint32(len(frame.Payload)))
	copy(out[8:], frame.Payload)
	return plugport.Ok[[]byte, codecplugin.CodecError](out), nil
}

func init() {
	codecplugin.Export(codecplugin.Exports{Framing: framing{}})
}

// main is required by -buildmode=c-shared and never runs.
func main() {}
