#!/usr/bin/env python3
"""A Python grpcio client of the typecov world's per-world services, written from the
`.proto` of `plugport gen --lang proto` (docs/remote.md, "The per-world wire"): it calls
`plugport serve <typecov plugin>` and checks that every echo function answers the value
it was given, edge values included. So the `.proto` and what `plugport serve` speaks
describe the same wire (tests/remote/tests/perworld.rs).

    python3 typecov_client.py --gen <dir with typecov_pb2*.py> --target 127.0.0.1:7000

Prints `<n> checks passed` and exits 0, or names the first failure and exits 1.
"""

import argparse
import math
import os
import struct
import sys


class Unary:
    """The typecov world's rpcs as plain calls. Its rpcs are bidi streams (the world
    exports a resource, so the plugin may call methods or `Drop` of a counter the host
    made, as `ImportCall`s); this client passes no object of its own, so each call is one
    `Input{call}` and the `Output{result}` that ends the stream. Errors raise
    `grpc.RpcError` as a unary call's would."""

    def __init__(self, stub, pb, service):
        self._stub, self._pb, self._service = stub, pb, service

    def __getattr__(self, rpc):
        method = getattr(self._stub, rpc)
        inp = getattr(self._pb, f"{self._service}{rpc}Input")
        name = f"{self._service}.{rpc}"

        def call(request, timeout=None):
            for out in method(iter([inp(call=request)]), timeout=timeout):
                if out.HasField("result"):
                    return out.result
                sys.exit(f"{name}: the server sent {out!r} instead of the result")
            sys.exit(f"{name}: the stream ended without a result")

        call.__name__ = name
        return call


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gen", required=True, help="directory of typecov_pb2*.py")
    ap.add_argument("--target", required=True, help="host:port of plugport serve")
    args = ap.parse_args()
    sys.path.insert(0, os.path.abspath(args.gen))
    import grpc
    import typecov_pb2 as pb
    import typecov_pb2_grpc as pb_grpc

    channel = grpc.insecure_channel(args.target)
    echo = Unary(pb_grpc.EchoStub(channel), pb, "Echo")
    world = Unary(pb_grpc.TypecovStub(channel), pb, "Typecov")
    checks = 0

    def same(name, sent, got):
        nonlocal checks
        if sent != got:
            sys.exit(f"{name}: sent {sent!r}, got back {got!r}")
        checks += 1

    def call(rpc, request_type, value):
        name = getattr(rpc, "__name__", str(rpc))
        req = request_type(v=value)
        resp = rpc(req, timeout=30)
        same(name, req.v, resp.result)

    def f32(x):
        return struct.unpack("<f", struct.pack("<f", x))[0]

    for v in (False, True):
        call(echo.EchoBool, pb.EchoEchoBoolRequest, v)
    for v in (-128, 0, 127):
        call(echo.EchoS8, pb.EchoEchoS8Request, v)
    for v in (-32768, 32767):
        call(echo.EchoS16, pb.EchoEchoS16Request, v)
    for v in (-2**31, 2**31 - 1):
        call(echo.EchoS32, pb.EchoEchoS32Request, v)
    for v in (-2**63, 2**63 - 1):
        call(echo.EchoS64, pb.EchoEchoS64Request, v)
    for v in (0, 255):
        call(echo.EchoU8, pb.EchoEchoU8Request, v)
    for v in (0, 65535):
        call(echo.EchoU16, pb.EchoEchoU16Request, v)
    for v in (0, 2**32 - 1):
        call(echo.EchoU32, pb.EchoEchoU32Request, v)
    for v in (0, 2**64 - 1):
        call(echo.EchoU64, pb.EchoEchoU64Request, v)
    for v in (f32(1.5), f32(-3.25e38), math.inf):
        call(echo.EchoF32, pb.EchoEchoF32Request, v)
    r = echo.EchoF64(pb.EchoEchoF64Request(v=-0.0), timeout=30)
    same("EchoF64 -0.0 sign", -1.0, math.copysign(1.0, r.result))
    for v in (1e308, -5e-324):
        call(echo.EchoF64, pb.EchoEchoF64Request, v)
    for v in (0, 0x7F, 0xD7FF, 0xE000, 0x10FFFF):
        call(echo.EchoChar, pb.EchoEchoCharRequest, v)
    for v in ("", "a\0b", "é世界"):
        call(echo.EchoString, pb.EchoEchoStringRequest, v)
    for v in (b"", b"\x00\xff\x10"):
        call(echo.EchoBytes, pb.EchoEchoBytesRequest, v)
    call(echo.EchoStrings, pb.EchoEchoStringsRequest, ["a", "", "c"])
    for v in (pb.OptionString(), pb.OptionString(value=""), pb.OptionString(value="x")):
        call(echo.EchoOption, pb.EchoEchoOptionRequest, v)
    for v in (pb.ResultU32String(ok=7), pb.ResultU32String(err="bad")):
        call(echo.EchoResult, pb.EchoEchoResultRequest, v)
    for v in (pb.ResultUnitFailure(ok=pb.Unit()),
              pb.ResultUnitFailure(err=pb.Failure(code=3)),
              pb.ResultUnitFailure(err=pb.Failure(message="m"))):
        call(echo.EchoResultUnit, pb.EchoEchoResultUnitRequest, v)
    call(echo.EchoTuple, pb.EchoEchoTupleRequest, pb.TupleU8StringF64(f0=255, f1="t", f2=2.5))
    call(echo.EchoPoint, pb.EchoEchoPointRequest, pb.Point(x=-1, y=2**31 - 1))
    person = pb.Person(name="Ada", age=36, tags=["x", "y"], home=pb.OptionPoint(value=pb.Point(x=1, y=2)))
    call(echo.EchoPerson, pb.EchoEchoPersonRequest, person)
    for v in (pb.COLOR_RED, pb.COLOR_BLUE):
        call(echo.EchoColor, pb.EchoEchoColorRequest, v)
    call(echo.EchoPerms, pb.EchoEchoPermsRequest, pb.Perms(read=True, exec=True))
    call(echo.EchoWide, pb.EchoEchoWideRequest, pb.Wide(f0=True, f31=True))
    for v in (pb.Shape(circle=1.5), pb.Shape(rect=pb.Point(x=3, y=4)),
              pb.Shape(empty=pb.Unit()), pb.Shape(named="n")):
        call(echo.EchoShape, pb.EchoEchoShapeRequest, v)
    call(echo.EchoPoints, pb.EchoEchoPointsRequest, [pb.Point(x=1, y=2), pb.Point(x=3, y=4)])
    nested = pb.OptionResultListPersonShape(value=pb.ResultListPersonShape(ok=pb.ListPerson(items=[person])))
    call(echo.EchoNested, pb.EchoEchoNestedRequest, nested)
    call(echo.EchoNested, pb.EchoEchoNestedRequest, pb.OptionResultListPersonShape())
    echo.Sink(pb.EchoSinkRequest(a=1, b="1:1,18446744073709551615", c=[1, 2**64 - 1]), timeout=30)
    checks += 1
    # Otherwise `sink` fails with what it received (the typecov plugins' convention).
    try:
        echo.Sink(pb.EchoSinkRequest(a=1, b="b", c=[1, 2**64 - 1]), timeout=30)
        sys.exit("Sink: succeeded")
    except grpc.RpcError as e:
        same("Sink", 'sink received a=1 b="b" c=[1,18446744073709551615]', e.details())
    version = world.Version(pb.TypecovVersionRequest(), timeout=30).result
    same("Version is not empty", True, len(version) > 0)

    # A plugin's own failure: UNKNOWN with its message and the plugport-status trailer.
    try:
        echo.Boom(pb.EchoBoomRequest(message="kaboom"), timeout=30)
        sys.exit("Boom: succeeded")
    except grpc.RpcError as e:
        trailers = dict(e.trailing_metadata() or ())
        same("Boom code", grpc.StatusCode.UNKNOWN, e.code())
        same("Boom's plugport-status is PP_ERR_PANIC (1)", "1", trailers.get("plugport-status"))
    # Values the wire cannot carry are refused before the plugin sees them.
    try:
        echo.EchoU8(pb.EchoEchoU8Request(v=256), timeout=30)
        sys.exit("EchoU8(256): succeeded")
    except grpc.RpcError as e:
        same("EchoU8(256) code", grpc.StatusCode.INVALID_ARGUMENT, e.code())
    # Resources: handle ids of the plugin's objects, methods on their own service.
    store = Unary(pb_grpc.StoreStub(channel), pb, "Store")
    counter = Unary(pb_grpc.CounterStub(channel), pb, "Counter")
    live0 = store.Live(pb.StoreLiveRequest(), timeout=30).result
    c = store.CounterNew(pb.StoreCounterNewRequest(start=5), timeout=30).result
    same("Counter.add", 8, counter.Add(pb.CounterAddRequest(self=c, delta=3), timeout=30).result)
    same("Counter.get", 8, counter.Get(pb.CounterGetRequest(self=c), timeout=30).result)
    same("Store.peek", 8, store.Peek(pb.StorePeekRequest(c=c), timeout=30).result)
    same("Store.live", live0 + 1, store.Live(pb.StoreLiveRequest(), timeout=30).result)
    z = store.CounterZero(pb.StoreCounterZeroRequest(), timeout=30).result
    same("Counter.zero get", 0, counter.Get(pb.CounterGetRequest(self=z), timeout=30).result)
    same("Store.consume", 8, store.Consume(pb.StoreConsumeRequest(c=c), timeout=30).result)
    counter.Drop(pb.CounterDropRequest(self=z), timeout=30)
    same("Store.live after", live0, store.Live(pb.StoreLiveRequest(), timeout=30).result)
    # A consumed object's id is refused, never another object.
    try:
        counter.Get(pb.CounterGetRequest(self=c), timeout=30)
        sys.exit("Get of a consumed counter: succeeded")
    except grpc.RpcError as e:
        same("Get of a consumed counter fails", True, "ended object" in (e.details() or ""))
    print(f"{checks} checks passed")


if __name__ == "__main__":
    main()
