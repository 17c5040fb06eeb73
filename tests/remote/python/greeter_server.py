#!/usr/bin/env python3
"""The greeter example's plugin as a plain Python grpcio server (docs/remote.md,
"Writing a plugin in another language").

It implements the generated per-world services of `plugport gen --lang proto`:

    plugport gen examples/greeter/wit --lang proto -o gen
    python3 -m grpc_tools.protoc -Igen --python_out=gen --grpc_python_out=gen \
        gen/greeter.proto gen/plugport_remote.proto
    python3 greeter_server.py --gen gen --port 7000
    # then any plugport host opens grpc://127.0.0.1:7000, e.g.
    # target/examples/greeter/greeter-host-c grpc://127.0.0.1:7000 Ada

Two services:
- `plugport.remote.v1.Plugin`: only `Describe`, answered from `greeter.describe.json`
  (its `wire` is "proto": the host then calls the services below);
- `example.greeter.greeter.Greet`: the world's exported interface. The world has an
  import (the host's `logger`), so every rpc is a bidi stream: the first message from
  the host holds the call; the server may send `import_call`s and reads one
  `import_return` for each; its last message holds the result.

It prints `listening on 127.0.0.1:<port>` on stdout once it serves.
"""

import argparse
import json
import os
import sys
import time
from concurrent import futures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gen", required=True,
                    help="directory of the generated .proto files, their *_pb2 modules "
                         "and greeter.describe.json")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any)")
    ap.add_argument("--name", default="greeter-python", help="plugin name in Describe")
    ap.add_argument("--describe", help="answer Describe from this describe.json instead "
                                       "(the tests: an incompatible world)")
    ap.add_argument("--fault", choices=["slow", "exit"],
                    help="the tests' faults: greet sleeps 10 s, or the server exits "
                         "during greet")
    args = ap.parse_args()

    sys.path.insert(0, os.path.abspath(args.gen))
    import grpc
    import greeter_pb2 as pb
    import greeter_pb2_grpc as pb_grpc
    import plugport_remote_pb2 as rpb
    import plugport_remote_pb2_grpc as rpb_grpc

    with open(args.describe or os.path.join(args.gen, "greeter.describe.json"),
              encoding="utf-8") as f:
        describe = json.load(f)
    describe["plugin_name"] = args.name

    class Plugin(rpb_grpc.PluginServicer):
        def Describe(self, request, context):
            return rpb.DescribeReply(**describe)

    def log(inputs, level, message):
        """Calls the host's logger.log: yields the import call; the caller then reads
        the answer from `inputs`."""
        yield pb.GreetGreetOutput(import_call=pb.ImportCall(
            logger_log=pb.LoggerLogRequest(level=level, message=message)))
        ret = next(inputs).import_return
        if ret.WhichOneof("result") == "error":
            # A failing host logger must not fail the greeting.
            print(f"logger failed: {ret.error}", file=sys.stderr)

    class Greet(pb_grpc.GreetServicer):
        def Greet(self, inputs, context):
            call = next(inputs).call
            if args.fault == "slow":
                time.sleep(10)
            elif args.fault == "exit":
                os._exit(3)
            yield from log(inputs, pb.LEVEL_INFO, f"greeting {call.name} from Python")
            yield pb.GreetGreetOutput(
                result=pb.GreetGreetResponse(result=f"Hello from Python, {call.name}!"))

        def Language(self, inputs, context):
            next(inputs)
            yield pb.GreetLanguageOutput(result=pb.GreetLanguageResponse(result="en"))

    # grpcio receives at most 4 MiB by default: accept and send what Describe
    # advertises (16 MiB), plus the few bytes of the messages around the values.
    limit = int(describe.get("max_message_bytes", 16 << 20)) + 64
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), options=[
        ("grpc.max_receive_message_length", limit),
        ("grpc.max_send_message_length", limit),
    ])
    rpb_grpc.add_PluginServicer_to_server(Plugin(), server)
    pb_grpc.add_GreetServicer_to_server(Greet(), server)
    port = server.add_insecure_port(f"127.0.0.1:{args.port}")
    server.start()
    print(f"listening on 127.0.0.1:{port}", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
