//! Frames of the isolation protocol (`docs/isolation.md`, "Frames") and the socket I/O
//! under them: blocking reads with a deadline, writes that never raise `SIGPIPE`, and
//! file descriptors passed with `SCM_RIGHTS`.
//!
//! A frame is a 32-byte header followed by `len` payload bytes. All header integers are
//! little-endian:
//!
//! | offset | field | meaning |
//! |---|---|---|
//! | 0 | `u32 len` | payload bytes after the header |
//! | 4 | `u8 kind` | [`Kind`] |
//! | 5 | `u8[3]` | zero |
//! | 8 | `u64 call_id` | chosen by the caller; the answer repeats it |
//! | 16 | `u32 table` | index of the table in the plan (`Plan::tables` order) |
//! | 20 | `u32 slot` | index of the slot in that table |
//! | 24 | `i32 status` | `pp_status` of a return; 0 otherwise |
//! | 28 | `u32` | zero |

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Instant;

/// Bytes of a frame header.
pub const HEADER: usize = 32;
/// Largest payload accepted (1 GiB, the wire decoder's default allocation limit).
pub const MAX_PAYLOAD: usize = 1 << 30;

/// What a frame carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// Host → child: call slot `slot` of table `table`; payload: the arguments.
    Call = 1,
    /// Child → host: the answer to a `Call`; payload: the result (status OK) or the
    /// error message (any other status).
    Return = 2,
    /// Child → host, during a `Call` on the same connection: call a host import.
    ImportCall = 3,
    /// Host → child: the answer to an `ImportCall`.
    ImportReturn = 4,
    /// Either way: the peer broke the protocol or could not serve; payload: message.
    Error = 5,
    /// Host → child on the control connection: the handshake (payload: JSON).
    Hello = 6,
    /// Child → host on the control connection: the plugin is loaded (payload: JSON).
    Ready = 7,
    /// Host → child on the control connection: a new call connection (one fd attached).
    Connection = 8,
    /// Host → child on the control connection: how many live objects? Answer: `Ready`
    /// with the count as decimal text, or `-1`.
    LiveObjects = 9,
    /// Child → host on the control connection, from a fatal signal handler or at exit:
    /// why the child is ending (payload: text). Read by the host only when it cannot
    /// `waitpid` the child itself (the host ignores `SIGCHLD`).
    Dying = 10,
}

impl Kind {
    fn from_u8(b: u8) -> Option<Kind> {
        Some(match b {
            1 => Kind::Call,
            2 => Kind::Return,
            3 => Kind::ImportCall,
            4 => Kind::ImportReturn,
            5 => Kind::Error,
            6 => Kind::Hello,
            7 => Kind::Ready,
            8 => Kind::Connection,
            9 => Kind::LiveObjects,
            10 => Kind::Dying,
            _ => return None,
        })
    }
}

/// One frame.
#[derive(Clone, Debug)]
pub struct Frame {
    pub kind: Kind,
    pub call_id: u64,
    pub table: u32,
    pub slot: u32,
    pub status: i32,
    pub payload: Vec<u8>,
}

impl Frame {
    fn clone_header(&self) -> Frame {
        Frame {
            kind: self.kind,
            call_id: self.call_id,
            table: self.table,
            slot: self.slot,
            status: self.status,
            payload: Vec::new(),
        }
    }

    pub fn new(kind: Kind, call_id: u64, table: u32, slot: u32, status: i32) -> Frame {
        Frame {
            kind,
            call_id,
            table,
            slot,
            status,
            payload: Vec::new(),
        }
    }

    pub fn with_payload(mut self, payload: Vec<u8>) -> Frame {
        self.payload = payload;
        self
    }

    /// Header and payload, ready to send.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + self.payload.len());
        out.extend_from_slice(&(self.payload.len() as u32).to_le_bytes());
        out.extend_from_slice(&[self.kind as u8, 0, 0, 0]);
        out.extend_from_slice(&self.call_id.to_le_bytes());
        out.extend_from_slice(&self.table.to_le_bytes());
        out.extend_from_slice(&self.slot.to_le_bytes());
        out.extend_from_slice(&self.status.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&self.payload);
        out
    }
}

/// Why reading a frame failed.
#[derive(Debug)]
pub enum ReadError {
    /// The peer closed the connection (EOF, or a reset).
    Closed,
    /// The deadline passed first.
    Timeout,
    /// A header that is not one of ours.
    Malformed(String),
    /// Another I/O error.
    Io(io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Closed => f.write_str("the connection was closed"),
            ReadError::Timeout => f.write_str("the deadline passed"),
            ReadError::Malformed(m) => write!(f, "malformed frame: {m}"),
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// A stream socket of one end of a `socketpair`, with a read buffer (so that a small
/// frame is one `recv`, not one for the header and one for the payload).
#[derive(Debug)]
pub struct Conn {
    fd: OwnedFd,
    /// Bytes received and not consumed yet: `buf[start..end]`. A connection is used by one
    /// thread at a time; the mutex only makes that checkable.
    rbuf: std::sync::Mutex<ReadBuf>,
}

#[derive(Debug, Default)]
struct ReadBuf {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

/// Bytes asked of each `recv` into the read buffer.
const READ_CHUNK: usize = 64 * 1024;

impl Conn {
    pub fn from_fd(fd: OwnedFd) -> Conn {
        Conn {
            fd,
            rbuf: std::sync::Mutex::new(ReadBuf::default()),
        }
    }

    pub fn raw(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    pub fn into_fd(self) -> OwnedFd {
        self.fd
    }

    /// Sends the whole frame: header and payload in one `sendmsg`, without copying the
    /// payload. `MSG_NOSIGNAL`: a write to a dead peer is `EPIPE`, never `SIGPIPE`,
    /// whatever the process's signal settings.
    pub fn send(&self, frame: &Frame) -> io::Result<()> {
        let mut header = Frame {
            payload: Vec::new(),
            ..frame.clone_header()
        }
        .encode();
        header[0..4].copy_from_slice(&(frame.payload.len() as u32).to_le_bytes());
        let mut iov = [
            libc::iovec {
                iov_base: header.as_ptr() as *mut _,
                iov_len: header.len(),
            },
            libc::iovec {
                iov_base: frame.payload.as_ptr() as *mut _,
                iov_len: frame.payload.len(),
            },
        ];
        // SAFETY: a zeroed msghdr is valid; the iovecs point at live buffers.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = iov.as_mut_ptr();
        msg.msg_iovlen = if frame.payload.is_empty() { 1 } else { 2 };
        let total = header.len() + frame.payload.len();
        let n = loop {
            // SAFETY: `msg` is fully set up.
            let n = unsafe { libc::sendmsg(self.raw(), &msg, libc::MSG_NOSIGNAL) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            break n as usize;
        };
        if n < total {
            // A partial send (large payloads): the rest in order.
            if n < header.len() {
                self.send_bytes(&header[n..])?;
                self.send_bytes(&frame.payload)?;
            } else {
                self.send_bytes(&frame.payload[n - header.len()..])?;
            }
        }
        Ok(())
    }

    pub fn send_bytes(&self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            // SAFETY: `bytes` is a valid readable buffer of its length.
            let n = unsafe {
                libc::send(
                    self.raw(),
                    bytes.as_ptr().cast(),
                    bytes.len(),
                    libc::MSG_NOSIGNAL,
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            bytes = &bytes[n as usize..];
        }
        Ok(())
    }

    /// Sends `frame` with `fd` attached (`SCM_RIGHTS`).
    pub fn send_with_fd(&self, frame: &Frame, fd: RawFd) -> io::Result<()> {
        let bytes = frame.encode();
        let mut iov = libc::iovec {
            iov_base: bytes.as_ptr() as *mut _,
            iov_len: bytes.len(),
        };
        // SAFETY: CMSG_SPACE is a pure computation.
        let space = unsafe { libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) } as usize;
        let mut cbuf = vec![0u64; space.div_ceil(8)];
        // SAFETY: a zeroed msghdr is valid; the pointers set below outlive the call.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.as_mut_ptr().cast();
        msg.msg_controllen = space as _;
        // SAFETY: the control buffer has room for one header with one fd (CMSG_SPACE).
        unsafe {
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as _;
            std::ptr::write_unaligned(libc::CMSG_DATA(c).cast::<RawFd>(), fd);
        }
        loop {
            // SAFETY: `msg` is fully set up.
            let n = unsafe { libc::sendmsg(self.raw(), &msg, libc::MSG_NOSIGNAL) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if (n as usize) < bytes.len() {
                self.send_bytes(&bytes[n as usize..])?;
            }
            return Ok(());
        }
    }

    /// Waits until the socket is readable or `deadline` passes.
    fn wait_readable(&self, deadline: Option<Instant>) -> Result<(), ReadError> {
        loop {
            let timeout = match deadline {
                None => -1,
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Err(ReadError::Timeout);
                    }
                    let ms = (d - now).as_millis().clamp(1, i32::MAX as u128);
                    ms as i32
                }
            };
            let mut p = libc::pollfd {
                fd: self.raw(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            let r = unsafe { libc::poll(&mut p, 1, timeout) };
            if r < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(ReadError::Io(e));
            }
            if r > 0 {
                return Ok(());
            }
        }
    }

    /// Reads exactly `buf.len()` bytes (also collecting one passed fd into `fd_out`).
    fn read_exact(
        &self,
        buf: &mut [u8],
        deadline: Option<Instant>,
        mut fd_out: Option<&mut Option<OwnedFd>>,
    ) -> Result<(), ReadError> {
        if fd_out.is_none() {
            return self.read_buffered(buf, deadline);
        }
        let mut got = {
            // Bytes a buffered read already took come first.
            let mut rb = self.rbuf.lock().unwrap_or_else(|e| e.into_inner());
            let n = (rb.end - rb.start).min(buf.len());
            buf[..n].copy_from_slice(&rb.buf[rb.start..rb.start + n]);
            rb.start += n;
            n
        };
        while got < buf.len() {
            if deadline.is_some() {
                self.wait_readable(deadline)?;
            }
            let rest = &mut buf[got..];
            let n = if let Some(slot) = fd_out.as_deref_mut() {
                recv_with_fd(self.raw(), rest, slot)
            } else {
                // SAFETY: `rest` is a valid writable buffer of its length.
                let n = unsafe { libc::recv(self.raw(), rest.as_mut_ptr().cast(), rest.len(), 0) };
                if n < 0 {
                    Err(io::Error::last_os_error())
                } else {
                    Ok(n as usize)
                }
            };
            match n {
                Ok(0) => return Err(ReadError::Closed),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e)
                    if matches!(e.raw_os_error(), Some(libc::ECONNRESET) | Some(libc::EPIPE)) =>
                {
                    return Err(ReadError::Closed)
                }
                Err(e) => return Err(ReadError::Io(e)),
            }
        }
        Ok(())
    }

    /// Fills `out` from the read buffer, refilling it with `recv`s of up to
    /// [`READ_CHUNK`] bytes.
    fn read_buffered(&self, out: &mut [u8], deadline: Option<Instant>) -> Result<(), ReadError> {
        let mut rb = self.rbuf.lock().unwrap_or_else(|e| e.into_inner());
        let mut got = 0;
        while got < out.len() {
            if rb.start < rb.end {
                let n = (rb.end - rb.start).min(out.len() - got);
                out[got..got + n].copy_from_slice(&rb.buf[rb.start..rb.start + n]);
                rb.start += n;
                got += n;
                continue;
            }
            // Large remainders go straight into `out`; small ones through the buffer.
            let want = out.len() - got;
            if deadline.is_some() {
                self.wait_readable(deadline)?;
            }
            let direct = want >= READ_CHUNK;
            if !direct && rb.buf.len() < READ_CHUNK {
                rb.buf.resize(READ_CHUNK, 0);
            }
            let (ptr, len) = if direct {
                (out[got..].as_mut_ptr(), want)
            } else {
                (rb.buf.as_mut_ptr(), READ_CHUNK)
            };
            // SAFETY: `ptr` is a valid writable buffer of `len` bytes.
            let n = unsafe { libc::recv(self.raw(), ptr.cast(), len, 0) };
            if n < 0 {
                let e = io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(libc::EINTR) => continue,
                    Some(libc::ECONNRESET) | Some(libc::EPIPE) => return Err(ReadError::Closed),
                    _ => return Err(ReadError::Io(e)),
                }
            }
            if n == 0 {
                return Err(ReadError::Closed);
            }
            if direct {
                got += n as usize;
            } else {
                rb.start = 0;
                rb.end = n as usize;
            }
        }
        Ok(())
    }

    /// Reads one frame, waiting at most until `deadline`.
    pub fn recv(&self, deadline: Option<Instant>) -> Result<Frame, ReadError> {
        self.recv_inner(deadline, None)
    }

    /// Reads one frame and the fd passed with it, if any.
    pub fn recv_with_fd(&self) -> Result<(Frame, Option<OwnedFd>), ReadError> {
        let mut fd = None;
        let f = self.recv_inner(None, Some(&mut fd))?;
        Ok((f, fd))
    }

    fn recv_inner(
        &self,
        deadline: Option<Instant>,
        fd_out: Option<&mut Option<OwnedFd>>,
    ) -> Result<Frame, ReadError> {
        let mut h = [0u8; HEADER];
        self.read_exact(&mut h, deadline, fd_out)?;
        let le32 = |i: usize| u32::from_le_bytes(h[i..i + 4].try_into().expect("4 bytes"));
        let len = le32(0) as usize;
        let kind = Kind::from_u8(h[4])
            .ok_or_else(|| ReadError::Malformed(format!("unknown kind {}", h[4])))?;
        if len > MAX_PAYLOAD {
            return Err(ReadError::Malformed(format!(
                "payload of {len} bytes exceeds the limit of {MAX_PAYLOAD}"
            )));
        }
        let mut payload = vec![0u8; len];
        self.read_exact(&mut payload, deadline, None)?;
        Ok(Frame {
            kind,
            call_id: u64::from_le_bytes(h[8..16].try_into().expect("8 bytes")),
            table: le32(16),
            slot: le32(20),
            status: le32(24) as i32,
            payload,
        })
    }

    /// Reads whatever frames are already waiting, without blocking.
    pub fn drain_pending(&self) -> Vec<Frame> {
        let mut out = Vec::new();
        loop {
            let mut p = libc::pollfd {
                fd: self.raw(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd; timeout 0.
            if unsafe { libc::poll(&mut p, 1, 0) } <= 0 {
                return out;
            }
            match self.recv(Some(Instant::now() + std::time::Duration::from_millis(50))) {
                Ok(f) => out.push(f),
                Err(_) => return out,
            }
        }
    }
}

fn recv_with_fd(fd: RawFd, buf: &mut [u8], slot: &mut Option<OwnedFd>) -> io::Result<usize> {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: pure computation.
    let space = unsafe { libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32 * 4) } as usize;
    let mut cbuf = vec![0u64; space.div_ceil(8)];
    // SAFETY: a zeroed msghdr is valid; the buffers outlive the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.as_mut_ptr().cast();
    msg.msg_controllen = space as _;
    // SAFETY: `msg` is fully set up; MSG_CMSG_CLOEXEC keeps passed fds out of exec'd
    // children.
    let n = unsafe { libc::recvmsg(fd, &mut msg, libc::MSG_CMSG_CLOEXEC) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: walking the control messages the kernel wrote.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(c).cast::<RawFd>();
                let count = ((*c).cmsg_len as usize - libc::CMSG_LEN(0) as usize)
                    / std::mem::size_of::<RawFd>();
                for i in 0..count {
                    let f = std::ptr::read_unaligned(data.add(i));
                    let owned = OwnedFd::from_raw_fd(f);
                    if slot.is_none() {
                        *slot = Some(owned);
                    } // extra fds are closed by dropping `owned`
                }
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    Ok(n as usize)
}

/// A `socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC)`.
pub fn socketpair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` has room for two descriptors.
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both were just created and are owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn pair() -> (Conn, Conn) {
        let (a, b) = socketpair().unwrap();
        (Conn::from_fd(a), Conn::from_fd(b))
    }

    #[test]
    fn the_header_is_the_documented_layout() {
        let f = Frame::new(Kind::ImportCall, 0x0102_0304_0506_0708, 9, 10, -2)
            .with_payload(vec![0xaa, 0xbb]);
        let b = f.encode();
        assert_eq!(b.len(), HEADER + 2);
        assert_eq!(&b[0..4], &2u32.to_le_bytes());
        assert_eq!(&b[4..8], &[3, 0, 0, 0]);
        assert_eq!(&b[8..16], &0x0102_0304_0506_0708u64.to_le_bytes());
        assert_eq!(&b[16..20], &9u32.to_le_bytes());
        assert_eq!(&b[20..24], &10u32.to_le_bytes());
        assert_eq!(&b[24..28], &(-2i32).to_le_bytes());
        assert_eq!(&b[28..32], &[0, 0, 0, 0]);
        assert_eq!(&b[32..], &[0xaa, 0xbb]);
    }

    #[test]
    fn frames_round_trip_small_and_large_and_back_to_back() {
        let (a, b) = pair();
        let big: Vec<u8> = (0..300_000u32).map(|i| i as u8).collect();
        let frames = [
            Frame::new(Kind::Call, 1, 2, 3, 0),
            Frame::new(Kind::Return, 1, 2, 3, 1).with_payload(b"boom".to_vec()),
            Frame::new(Kind::Call, 7, 0, 1, 0).with_payload(big.clone()),
            Frame::new(Kind::Dying, 0, 0, 0, 0).with_payload(b"bye".to_vec()),
        ];
        let sender = std::thread::spawn({
            let frames = frames.clone();
            move || {
                for f in &frames {
                    a.send(f).unwrap();
                }
                a
            }
        });
        for want in &frames {
            let got = b
                .recv(Some(Instant::now() + Duration::from_secs(5)))
                .unwrap();
            assert_eq!(
                (got.kind, got.call_id, got.table, got.slot, got.status),
                (want.kind, want.call_id, want.table, want.slot, want.status)
            );
            assert_eq!(got.payload, want.payload);
        }
        drop(sender.join().unwrap());
        assert!(matches!(b.recv(None), Err(ReadError::Closed)));
    }

    #[test]
    fn bad_headers_deadlines_and_dead_peers_are_errors() {
        let (a, b) = pair();
        let mut bad = Frame::new(Kind::Call, 1, 0, 0, 0).encode();
        bad[4] = 99;
        a.send_bytes(&bad).unwrap();
        assert!(matches!(b.recv(None), Err(ReadError::Malformed(m)) if m.contains("99")));
        let mut huge = Frame::new(Kind::Call, 1, 0, 0, 0).encode();
        huge[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        a.send_bytes(&huge).unwrap();
        assert!(matches!(b.recv(None), Err(ReadError::Malformed(_))));
        let t = Instant::now();
        let r = b.recv(Some(Instant::now() + Duration::from_millis(50)));
        assert!(matches!(r, Err(ReadError::Timeout)), "{r:?}");
        assert!(t.elapsed() >= Duration::from_millis(50));
        drop(b);
        // A write to a closed peer is EPIPE, never SIGPIPE (this test would die of it).
        let e = a.send(&Frame::new(Kind::Call, 1, 0, 0, 0)).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EPIPE));
    }

    #[test]
    fn a_descriptor_passes_with_its_frame() {
        let (a, b) = pair();
        let (x, y) = pair();
        a.send_with_fd(&Frame::new(Kind::Connection, 0, 0, 0, 0), x.raw())
            .unwrap();
        drop(x);
        let (f, fd) = b.recv_with_fd().unwrap();
        assert_eq!(f.kind, Kind::Connection);
        let x2 = Conn::from_fd(fd.expect("a descriptor"));
        x2.send(&Frame::new(Kind::Ready, 5, 0, 0, 0)).unwrap();
        assert_eq!(y.recv(None).unwrap().call_id, 5);
    }
}
