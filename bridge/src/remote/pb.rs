//! The gRPC wire of remote plugins: the messages of `docs/remote.md` ("The wire") as
//! prost messages, and the server glue of the `plugport.remote.v1.Plugin` service, written
//! out as tonic's generator would (no `protoc` at build time). The `.proto` text is
//! [`PROTO`]; a test checks that the field numbers below are the ones it states.

use std::pin::Pin;
use std::sync::Arc;

use tonic::codegen::{http, Body, BoxFuture, Context, Poll, StdError};

/// The service's `.proto` (also in `docs/remote.md`).
pub const PROTO: &str = r#"syntax = "proto3";
package plugport.remote.v1;

service Plugin {
  // The plugin's descriptor and the server's limits.
  rpc Describe(DescribeRequest) returns (DescribeReply);
  // One session: an instance of the plugin for one open of a host. The host's first
  // frame is HELLO, the server's first READY or ERROR; then CALL / RETURN both ways.
  rpc Session(stream Frame) returns (stream Frame);
}

message DescribeRequest {}

message DescribeReply {
  uint32 abi_version = 1;
  string plugin_name = 2;
  string plugin_version = 3;
  // {"fingerprint": "<sha256 hex>", "world": <IR>}, as in the plugin file's descriptor.
  string world_json = 4;
  uint32 wire_version = 5;
  uint64 max_message_bytes = 6;
  // Which wire the server speaks: "" the session frames of this service; "proto" the
  // per-world services of `plugport gen --lang proto` (docs/remote.md).
  string wire = 7;
}

message Frame {
  uint32 kind = 1;      // 1 CALL, 2 RETURN, 3 IMPORT_CALL, 4 IMPORT_RETURN, 5 ERROR,
                        // 6 HELLO, 7 READY, 9 LIVE_OBJECTS
  uint64 call_id = 2;
  uint32 table = 3;     // Plan::tables index
  uint32 slot = 4;
  sint32 status = 5;    // pp_status of a RETURN / IMPORT_RETURN
  bytes payload = 6;    // wire encoding of the arguments or result; or a message / JSON
  uint64 parent = 7;    // IMPORT_CALL: the call_id of the CALL being served (0: the load)
  uint32 deadline_ms = 8; // CALL: the host's deadline of the call, ms (0: none)
}
"#;

/// `Describe`'s request (empty).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct DescribeRequest {}

/// `Describe`'s answer.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct DescribeReply {
    #[prost(uint32, tag = "1")]
    pub abi_version: u32,
    #[prost(string, tag = "2")]
    pub plugin_name: String,
    #[prost(string, tag = "3")]
    pub plugin_version: String,
    #[prost(string, tag = "4")]
    pub world_json: String,
    #[prost(uint32, tag = "5")]
    pub wire_version: u32,
    #[prost(uint64, tag = "6")]
    pub max_message_bytes: u64,
    /// `""`: the session frames of this service; `"proto"`: the per-world services.
    #[prost(string, tag = "7")]
    pub wire: String,
}

/// One message of a session (the isolation frame's fields, plus `parent`).
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Frame {
    #[prost(uint32, tag = "1")]
    pub kind: u32,
    #[prost(uint64, tag = "2")]
    pub call_id: u64,
    #[prost(uint32, tag = "3")]
    pub table: u32,
    #[prost(uint32, tag = "4")]
    pub slot: u32,
    #[prost(sint32, tag = "5")]
    pub status: i32,
    #[prost(bytes = "vec", tag = "6")]
    pub payload: Vec<u8>,
    #[prost(uint64, tag = "7")]
    pub parent: u64,
    /// `CALL`: the host's deadline of the call in ms (0: none); the server gives up on
    /// the call when it passes, counted from when the frame arrives.
    #[prost(uint32, tag = "8")]
    pub deadline_ms: u32,
}

/// Frame kinds (the numbers of `crate::isolation::frames::Kind`).
pub mod kind {
    pub const CALL: u32 = 1;
    pub const RETURN: u32 = 2;
    pub const IMPORT_CALL: u32 = 3;
    pub const IMPORT_RETURN: u32 = 4;
    pub const ERROR: u32 = 5;
    pub const HELLO: u32 = 6;
    pub const READY: u32 = 7;
    pub const LIVE_OBJECTS: u32 = 9;
}

impl Frame {
    pub fn new(kind: u32, call_id: u64, table: u32, slot: u32, status: i32) -> Frame {
        Frame {
            kind,
            call_id,
            table,
            slot,
            status,
            payload: Vec::new(),
            parent: 0,
            deadline_ms: 0,
        }
    }
    pub fn with_payload(mut self, payload: Vec<u8>) -> Frame {
        self.payload = payload;
        self
    }
    /// As the isolation frame the endpoints serve (`kind` CALL or IMPORT_CALL).
    pub(crate) fn to_iso(&self) -> crate::isolation::frames::Frame {
        use crate::isolation::frames::{Frame as F, Kind};
        let k = if self.kind == kind::IMPORT_CALL {
            Kind::ImportCall
        } else {
            Kind::Call
        };
        F::new(k, self.call_id, self.table, self.slot, self.status)
            .with_payload(self.payload.clone())
    }
    /// From an isolation frame the endpoints answered.
    pub(crate) fn from_iso(f: crate::isolation::frames::Frame) -> Frame {
        Frame::new(f.kind as u32, f.call_id, f.table, f.slot, f.status).with_payload(f.payload)
    }
}

/// The fully qualified service name.
pub const SERVICE_NAME: &str = "plugport.remote.v1.Plugin";
pub const DESCRIBE_PATH: &str = "/plugport.remote.v1.Plugin/Describe";
pub const SESSION_PATH: &str = "/plugport.remote.v1.Plugin/Session";

/// The stream of frames a session answers with.
pub type FrameStream =
    Pin<Box<dyn tokio_stream::Stream<Item = Result<Frame, tonic::Status>> + Send + 'static>>;

/// What the server implements.
pub trait Handler: Send + Sync + 'static {
    fn describe(&self) -> Result<DescribeReply, tonic::Status>;
    fn session(&self, inbound: tonic::Streaming<Frame>) -> Result<FrameStream, tonic::Status>;
    /// The gRPC limits (decoding, encoding) in bytes.
    fn limits(&self) -> (usize, usize);
}

/// The tonic service of a [`Handler`].
pub struct PluginServer<T>(pub Arc<T>);

impl<T> Clone for PluginServer<T> {
    fn clone(&self) -> Self {
        PluginServer(self.0.clone())
    }
}

impl<T> tonic::server::NamedService for PluginServer<T> {
    const NAME: &'static str = SERVICE_NAME;
}

struct DescribeSvc<T>(Arc<T>);

impl<T: Handler> tonic::server::UnaryService<DescribeRequest> for DescribeSvc<T> {
    type Response = DescribeReply;
    type Future = BoxFuture<tonic::Response<DescribeReply>, tonic::Status>;
    fn call(&mut self, _: tonic::Request<DescribeRequest>) -> Self::Future {
        let r = self.0.describe().map(tonic::Response::new);
        Box::pin(async move { r })
    }
}

struct SessionSvc<T>(Arc<T>);

impl<T: Handler> tonic::server::StreamingService<Frame> for SessionSvc<T> {
    type Response = Frame;
    type ResponseStream = FrameStream;
    type Future = BoxFuture<tonic::Response<FrameStream>, tonic::Status>;
    fn call(&mut self, request: tonic::Request<tonic::Streaming<Frame>>) -> Self::Future {
        let r = self
            .0
            .session(request.into_inner())
            .map(tonic::Response::new);
        Box::pin(async move { r })
    }
}

impl<T, B> tonic::codegen::Service<http::Request<B>> for PluginServer<T>
where
    T: Handler,
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let inner = self.0.clone();
        let (dec, enc) = inner.limits();
        match req.uri().path() {
            DESCRIBE_PATH => Box::pin(async move {
                let codec = tonic_prost::ProstCodec::<DescribeReply, DescribeRequest>::default();
                let mut grpc = tonic::server::Grpc::new(codec)
                    .apply_max_message_size_config(Some(dec), Some(enc));
                Ok(grpc.unary(DescribeSvc(inner), req).await)
            }),
            SESSION_PATH => Box::pin(async move {
                let codec = tonic_prost::ProstCodec::<Frame, Frame>::default();
                let mut grpc = tonic::server::Grpc::new(codec)
                    .apply_max_message_size_config(Some(dec), Some(enc));
                Ok(grpc.streaming(SessionSvc(inner), req).await)
            }),
            _ => Box::pin(async move {
                let mut response = http::Response::new(tonic::body::Body::default());
                let headers = response.headers_mut();
                headers.insert(
                    tonic::Status::GRPC_STATUS,
                    (tonic::Code::Unimplemented as i32).into(),
                );
                headers.insert(
                    http::header::CONTENT_TYPE,
                    tonic::metadata::GRPC_CONTENT_TYPE,
                );
                Ok(response)
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    /// The field numbers and types of the structs are those `PROTO` states: a field
    /// renumbered in one place only changes these bytes.
    #[test]
    fn frame_encoding_matches_the_proto() {
        let f = Frame {
            kind: 1,
            call_id: 2,
            table: 3,
            slot: 4,
            status: -1,
            payload: vec![0xaa],
            parent: 5,
            deadline_ms: 6,
        };
        // tag (n << 3 | wire type): 1:varint 1, 2:varint 2, 3:varint 3, 4:varint 4,
        // 5:zigzag(-1) = 1, 6:len 1 0xaa, 7:varint 5, 8:varint 6.
        assert_eq!(
            f.encode_to_vec(),
            [0x08, 1, 0x10, 2, 0x18, 3, 0x20, 4, 0x28, 1, 0x32, 1, 0xaa, 0x38, 5, 0x40, 6]
        );
        for (field, tag) in [
            ("uint32 kind = 1", 1),
            ("uint64 call_id = 2", 2),
            ("sint32 status = 5", 5),
            ("bytes payload = 6", 6),
            ("uint64 parent = 7", 7),
            ("uint32 deadline_ms = 8", 8),
        ] {
            assert!(PROTO.contains(field), "PROTO lacks {field} ({tag})");
        }
        let d = DescribeReply {
            abi_version: 1,
            max_message_bytes: 2,
            wire: "p".into(),
            ..Default::default()
        };
        // 7:len 1 "p".
        assert_eq!(d.encode_to_vec(), [0x08, 1, 0x30, 2, 0x3a, 1, b'p']);
        assert!(PROTO.contains("string wire = 7;"));
    }
}
