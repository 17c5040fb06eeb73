//! Length-prefixed framing for `example:codec@1.0.0`.
//!
//! Wire format of one frame: stream id (u32, big-endian), payload length (u32,
//! big-endian), payload bytes. The same format is implemented in C in `../plugin-c`.

include!(concat!(env!("OUT_DIR"), "/codec.rs"));

use exports::framing::{CodecError, Frame};
use std::collections::VecDeque;
use std::sync::Mutex;

const HEADER: usize = 8;

struct Codec;

/// A decoder: bytes pushed so far that do not yet form a frame, and decoded frames
/// not yet pulled. The mutex makes it safe to use one decoder from several threads.
struct Decoder {
    max_frame: u32,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    pending: Vec<u8>,
    frames: VecDeque<Frame>,
}

impl exports::framing::Guest for Codec {
    type Decoder = Decoder;

    fn encode(frame: Frame) -> Result<Vec<u8>, CodecError> {
        let len = u32::try_from(frame.payload.len())
            .map_err(|_| CodecError::FrameTooLarge(frame.payload.len() as u64))?;
        let mut out = Vec::with_capacity(HEADER + frame.payload.len());
        out.extend_from_slice(&frame.stream.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&frame.payload);
        Ok(out)
    }
}

impl exports::framing::GuestDecoder for Decoder {
    fn new(max_frame: u32) -> Self {
        Decoder {
            max_frame,
            state: Mutex::new(State::default()),
        }
    }

    fn push(&self, data: &[u8]) -> Result<u32, CodecError> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.pending.extend_from_slice(data);
        let mut pos = 0;
        while st.pending.len() - pos >= HEADER {
            let head = &st.pending[pos..pos + HEADER];
            let stream = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
            let len = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
            if len > self.max_frame {
                st.pending.clear();
                return Err(CodecError::FrameTooLarge(u64::from(len)));
            }
            let end = pos + HEADER + len as usize;
            if st.pending.len() < end {
                break;
            }
            let payload = st.pending[pos + HEADER..end].to_vec();
            st.frames.push_back(Frame { stream, payload });
            pos = end;
        }
        st.pending.drain(..pos);
        Ok(st.frames.len() as u32)
    }

    fn pull(&self) -> Option<Frame> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.frames.pop_front()
    }

    fn finish(&self) -> Result<(), CodecError> {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match st.pending.len() {
            0 => Ok(()),
            n => Err(CodecError::Truncated(n as u32)),
        }
    }
}

export_codec!(Codec, name: "codec-rust", version: "1.0.0");
