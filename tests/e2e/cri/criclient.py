#!/usr/bin/python3
"""A small CRI client, as kubelet talks to containerd's CRI plugin.

    criclient.py SOCKET METHOD [JSON]    one unary call of runtime.v1 (the
        RuntimeService or ImageService method named), the request given as
        JSON with the proto's field names, the answer printed as JSON.
        A gRPC error: "METHOD: CODE: details" on stderr, exit 1.
    criclient.py ws-exec URL [STDIN]     the streaming half of Exec/Attach:
        the URL Exec returned, spoken over a WebSocket with the
        v4.channel.k8s.io protocol (kubelet's streaming server speaks it as
        well as SPDY); STDIN is sent on channel 0, stdout/stderr are printed,
        the exit code the error channel reports is the exit code.

    criclient.py serve SOCKET PORTFILE [PARENT_PID]   the same calls, from
        one process and one gRPC channel (a python start costs seconds in a
        TCG guest): listens on 127.0.0.1, writes "PORT TOKEN" to PORTFILE
        (mode 0600) once listening, and serves each connection one request:
        NUL-terminated fields COUNT, TOKEN, TIMEOUT, then the arguments of
        the one-shot forms (METHOD [JSON], or ws-exec URL [STDIN]); the answer
        is lines "o TEXT" (stdout), "e TEXT" (stderr), "O"/"E" the same for
        a last line without newline, and last "rc N", the exit code of the
        one-shot form. Exits when PARENT_PID does. (test_cri.sh's cri().)

The messages are written by hand from the field numbers of k8s.io/cri-api
pkg/apis/runtime/v1/api.proto, only those the test uses; fields not listed are
skipped when decoding. No protobuf code generation, only python3-grpcio.
"""
import base64
import json
import os
import socket
import struct
import sys
import urllib.parse

# --- the messages: name -> {field: (number, type, repeated)} ---------------------
# types: string bytes bool int32 int64 uint32 uint64 enum map (string->string),
# or the name of a message
S, B, BOOL, I32, I64, U32, U64, E, MAP = ("string", "bytes", "bool", "int32", "int64",
                                          "uint32", "uint64", "enum", "map")


def f(num, typ, rep=False):
    return (num, typ, rep)


MSG = {
    "VersionRequest": {"version": f(1, S)},
    "VersionResponse": {"version": f(1, S), "runtime_name": f(2, S), "runtime_version": f(3, S),
                        "runtime_api_version": f(4, S)},
    "DNSConfig": {"servers": f(1, S, True), "searches": f(2, S, True), "options": f(3, S, True)},
    "Mount": {"container_path": f(1, S), "host_path": f(2, S), "readonly": f(3, BOOL),
              "selinux_relabel": f(4, BOOL), "propagation": f(5, E)},
    "NamespaceOption": {"network": f(1, E), "pid": f(2, E), "ipc": f(3, E), "target_id": f(4, S)},
    "Int64Value": {"value": f(1, I64)},
    "UInt64Value": {"value": f(1, U64)},
    "SecurityProfile": {"profile_type": f(1, E), "localhost_ref": f(2, S)},
    "LinuxSandboxSecurityContext": {
        "namespace_options": f(1, "NamespaceOption"), "run_as_user": f(3, "Int64Value"),
        "readonly_rootfs": f(4, BOOL), "supplemental_groups": f(5, I64, True),
        "privileged": f(6, BOOL), "run_as_group": f(8, "Int64Value"),
        "seccomp": f(9, "SecurityProfile")},
    "LinuxPodSandboxConfig": {"cgroup_parent": f(1, S),
                              "security_context": f(2, "LinuxSandboxSecurityContext"),
                              "sysctls": f(3, MAP)},
    "PodSandboxMetadata": {"name": f(1, S), "uid": f(2, S), "namespace": f(3, S),
                           "attempt": f(4, U32)},
    "PodSandboxConfig": {"metadata": f(1, "PodSandboxMetadata"), "hostname": f(2, S),
                         "log_directory": f(3, S), "dns_config": f(4, "DNSConfig"),
                         "labels": f(6, MAP), "annotations": f(7, MAP),
                         "linux": f(8, "LinuxPodSandboxConfig")},
    "RunPodSandboxRequest": {"config": f(1, "PodSandboxConfig"), "runtime_handler": f(2, S)},
    "RunPodSandboxResponse": {"pod_sandbox_id": f(1, S)},
    "StopPodSandboxRequest": {"pod_sandbox_id": f(1, S)},
    "StopPodSandboxResponse": {},
    "RemovePodSandboxRequest": {"pod_sandbox_id": f(1, S)},
    "RemovePodSandboxResponse": {},
    "PodSandboxStatusRequest": {"pod_sandbox_id": f(1, S), "verbose": f(2, BOOL)},
    "PodIP": {"ip": f(1, S)},
    "PodSandboxNetworkStatus": {"ip": f(1, S), "additional_ips": f(2, "PodIP", True)},
    "Namespace": {"options": f(2, "NamespaceOption")},
    "LinuxPodSandboxStatus": {"namespaces": f(1, "Namespace")},
    "PodSandboxStatus": {"id": f(1, S), "metadata": f(2, "PodSandboxMetadata"), "state": f(3, E),
                         "created_at": f(4, I64), "network": f(5, "PodSandboxNetworkStatus"),
                         "linux": f(6, "LinuxPodSandboxStatus"), "labels": f(7, MAP),
                         "annotations": f(8, MAP), "runtime_handler": f(9, S)},
    "PodSandboxStatusResponse": {"status": f(1, "PodSandboxStatus"), "info": f(2, MAP)},
    "PodSandboxFilter": {"id": f(1, S), "label_selector": f(3, MAP)},
    "ListPodSandboxRequest": {"filter": f(1, "PodSandboxFilter")},
    "PodSandbox": {"id": f(1, S), "metadata": f(2, "PodSandboxMetadata"), "state": f(3, E),
                   "created_at": f(4, I64), "labels": f(5, MAP)},
    "ListPodSandboxResponse": {"items": f(1, "PodSandbox", True)},
    "ImageSpec": {"image": f(1, S), "annotations": f(2, MAP)},
    "KeyValue": {"key": f(1, S), "value": f(2, S)},
    "LinuxContainerResources": {
        "cpu_period": f(1, I64), "cpu_quota": f(2, I64), "cpu_shares": f(3, I64),
        "memory_limit_in_bytes": f(4, I64), "oom_score_adj": f(5, I64), "cpuset_cpus": f(6, S),
        "cpuset_mems": f(7, S), "unified": f(9, MAP), "memory_swap_limit_in_bytes": f(10, I64)},
    "Capability": {"add_capabilities": f(1, S, True), "drop_capabilities": f(2, S, True),
                   "ambient_capabilities": f(3, S, True)},
    "LinuxContainerSecurityContext": {
        "capabilities": f(1, "Capability"), "privileged": f(2, BOOL),
        "namespace_options": f(3, "NamespaceOption"), "run_as_user": f(5, "Int64Value"),
        "run_as_username": f(6, S), "readonly_rootfs": f(7, BOOL),
        "supplemental_groups": f(8, I64, True), "no_new_privs": f(11, BOOL),
        "run_as_group": f(12, "Int64Value"), "masked_paths": f(13, S, True),
        "readonly_paths": f(14, S, True), "seccomp": f(15, "SecurityProfile")},
    "LinuxContainerConfig": {"resources": f(1, "LinuxContainerResources"),
                             "security_context": f(2, "LinuxContainerSecurityContext")},
    "ContainerMetadata": {"name": f(1, S), "attempt": f(2, U32)},
    "ContainerConfig": {
        "metadata": f(1, "ContainerMetadata"), "image": f(2, "ImageSpec"), "command": f(3, S, True),
        "args": f(4, S, True), "working_dir": f(5, S), "envs": f(6, "KeyValue", True),
        "mounts": f(7, "Mount", True), "labels": f(9, MAP), "annotations": f(10, MAP),
        "log_path": f(11, S), "stdin": f(12, BOOL), "stdin_once": f(13, BOOL), "tty": f(14, BOOL),
        "linux": f(15, "LinuxContainerConfig")},
    "CreateContainerRequest": {"pod_sandbox_id": f(1, S), "config": f(2, "ContainerConfig"),
                               "sandbox_config": f(3, "PodSandboxConfig")},
    "CreateContainerResponse": {"container_id": f(1, S)},
    "StartContainerRequest": {"container_id": f(1, S)},
    "StartContainerResponse": {},
    "StopContainerRequest": {"container_id": f(1, S), "timeout": f(2, I64)},
    "StopContainerResponse": {},
    "RemoveContainerRequest": {"container_id": f(1, S)},
    "RemoveContainerResponse": {},
    "ContainerStateValue": {"state": f(1, E)},
    "ContainerFilter": {"id": f(1, S), "state": f(2, "ContainerStateValue"),
                        "pod_sandbox_id": f(3, S), "label_selector": f(4, MAP)},
    "ListContainersRequest": {"filter": f(1, "ContainerFilter")},
    "Container": {"id": f(1, S), "pod_sandbox_id": f(2, S), "metadata": f(3, "ContainerMetadata"),
                  "image": f(4, "ImageSpec"), "image_ref": f(5, S), "state": f(6, E),
                  "created_at": f(7, I64), "labels": f(8, MAP)},
    "ListContainersResponse": {"containers": f(1, "Container", True)},
    "ContainerStatusRequest": {"container_id": f(1, S), "verbose": f(2, BOOL)},
    "ContainerStatus": {
        "id": f(1, S), "metadata": f(2, "ContainerMetadata"), "state": f(3, E),
        "created_at": f(4, I64), "started_at": f(5, I64), "finished_at": f(6, I64),
        "exit_code": f(7, I32), "image": f(8, "ImageSpec"), "image_ref": f(9, S),
        "reason": f(10, S), "message": f(11, S), "labels": f(12, MAP),
        "mounts": f(14, "Mount", True), "log_path": f(15, S)},
    "ContainerStatusResponse": {"status": f(1, "ContainerStatus"), "info": f(2, MAP)},
    "UpdateContainerResourcesRequest": {"container_id": f(1, S),
                                        "linux": f(2, "LinuxContainerResources")},
    "UpdateContainerResourcesResponse": {},
    "ExecSyncRequest": {"container_id": f(1, S), "cmd": f(2, S, True), "timeout": f(3, I64)},
    "ExecSyncResponse": {"stdout": f(1, B), "stderr": f(2, B), "exit_code": f(3, I32)},
    "ExecRequest": {"container_id": f(1, S), "cmd": f(2, S, True), "tty": f(3, BOOL),
                    "stdin": f(4, BOOL), "stdout": f(5, BOOL), "stderr": f(6, BOOL)},
    "ExecResponse": {"url": f(1, S)},
    "AttachRequest": {"container_id": f(1, S), "stdin": f(2, BOOL), "tty": f(3, BOOL),
                      "stdout": f(4, BOOL), "stderr": f(5, BOOL)},
    "AttachResponse": {"url": f(1, S)},
    "ContainerStatsRequest": {"container_id": f(1, S)},
    "ContainerAttributes": {"id": f(1, S), "metadata": f(2, "ContainerMetadata")},
    "CpuUsage": {"timestamp": f(1, I64), "usage_core_nano_seconds": f(2, "UInt64Value"),
                 "usage_nano_cores": f(3, "UInt64Value")},
    "MemoryUsage": {"timestamp": f(1, I64), "working_set_bytes": f(2, "UInt64Value"),
                    "available_bytes": f(3, "UInt64Value"), "usage_bytes": f(4, "UInt64Value"),
                    "rss_bytes": f(5, "UInt64Value"), "page_faults": f(6, "UInt64Value"),
                    "major_page_faults": f(7, "UInt64Value")},
    "FilesystemIdentifier": {"mountpoint": f(1, S)},
    "FilesystemUsage": {"timestamp": f(1, I64), "fs_id": f(2, "FilesystemIdentifier"),
                        "used_bytes": f(3, "UInt64Value"), "inodes_used": f(4, "UInt64Value")},
    "ContainerStats": {"attributes": f(1, "ContainerAttributes"), "cpu": f(2, "CpuUsage"),
                       "memory": f(3, "MemoryUsage"), "writable_layer": f(4, "FilesystemUsage")},
    "ContainerStatsResponse": {"stats": f(1, "ContainerStats")},
    "ReopenContainerLogRequest": {"container_id": f(1, S)},
    "ReopenContainerLogResponse": {},
    "RuntimeCondition": {"type": f(1, S), "status": f(2, BOOL), "reason": f(3, S),
                         "message": f(4, S)},
    "RuntimeStatus": {"conditions": f(1, "RuntimeCondition", True)},
    "StatusRequest": {"verbose": f(1, BOOL)},
    "StatusResponse": {"status": f(1, "RuntimeStatus"), "info": f(2, MAP)},
    "Image": {"id": f(1, S), "repo_tags": f(2, S, True), "repo_digests": f(3, S, True),
              "size": f(4, U64)},
    "ImageFilter": {"image": f(1, "ImageSpec")},
    "ListImagesRequest": {"filter": f(1, "ImageFilter")},
    "ListImagesResponse": {"images": f(1, "Image", True)},
    "ImageStatusRequest": {"image": f(1, "ImageSpec"), "verbose": f(2, BOOL)},
    "ImageStatusResponse": {"image": f(1, "Image"), "info": f(2, MAP)},
}
# enums by name (JSON may give the name or the number)
ENUMS = {
    "propagation": {"PROPAGATION_PRIVATE": 0, "PROPAGATION_HOST_TO_CONTAINER": 1,
                    "PROPAGATION_BIDIRECTIONAL": 2},
    "network": {"POD": 0, "CONTAINER": 1, "NODE": 2, "TARGET": 3},
    "profile_type": {"RuntimeDefault": 0, "Unconfined": 1, "Localhost": 2},
    "state": {"CONTAINER_CREATED": 0, "CONTAINER_RUNNING": 1, "CONTAINER_EXITED": 2,
              "CONTAINER_UNKNOWN": 3},
}
ENUMS["pid"] = ENUMS["ipc"] = ENUMS["network"]

RUNTIME = "runtime.v1.RuntimeService"
IMAGE = "runtime.v1.ImageService"
METHODS = {m: RUNTIME for m in (
    "Version", "RunPodSandbox", "StopPodSandbox", "RemovePodSandbox", "PodSandboxStatus",
    "ListPodSandbox", "CreateContainer", "StartContainer", "StopContainer", "RemoveContainer",
    "ListContainers", "ContainerStatus", "UpdateContainerResources", "ReopenContainerLog",
    "ExecSync", "Exec", "Attach", "ContainerStats", "Status")}
METHODS.update({m: IMAGE for m in ("ListImages", "ImageStatus")})


# --- protobuf wire format -------------------------------------------------------
def varint(n):
    n &= (1 << 64) - 1  # negative int32/int64: ten bytes, two's complement
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(num, wire):
    return varint(num << 3 | wire)


def enc_scalar(typ, name, v):
    if typ in (S, B):
        data = v.encode() if isinstance(v, str) else bytes(v)
        return 2, varint(len(data)) + data
    if typ == E and isinstance(v, str):
        v = ENUMS[name][v]
    return 0, varint(int(v))


def encode(msg, obj):
    fields = MSG[msg]
    out = bytearray()
    for name, v in obj.items():
        if name not in fields:
            raise ValueError(f"criclient: {msg} has no field {name!r} here")
        num, typ, rep = fields[name]
        if typ == MAP:
            for k, val in v.items():
                entry = key(1, 2) + varint(len(k.encode())) + k.encode()
                entry += key(2, 2) + varint(len(str(val).encode())) + str(val).encode()
                out += key(num, 2) + varint(len(entry)) + entry
            continue
        for item in (v if rep else [v]):
            if typ in MSG:
                data = encode(typ, item)
                out += key(num, 2) + varint(len(data)) + data
            else:
                wire, data = enc_scalar(typ, name, item)
                out += key(num, wire) + data
    return bytes(out)


def read_varint(buf, i):
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def fields_of(buf):
    i = 0
    while i < len(buf):
        k, i = read_varint(buf, i)
        num, wire = k >> 3, k & 7
        if wire == 0:
            v, i = read_varint(buf, i)
        elif wire == 2:
            ln, i = read_varint(buf, i)
            v, i = buf[i:i + ln], i + ln
        elif wire == 1:
            v, i = buf[i:i + 8], i + 8
        elif wire == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire}")
        yield num, wire, v


def dec_scalar(typ, v):
    if typ == S:
        return bytes(v).decode(errors="replace")
    if typ == B:
        return bytes(v).decode(errors="replace")
    if typ == BOOL:
        return bool(v)
    if typ in (I32, I64, E):
        return v - (1 << 64) if v >= 1 << 63 else v
    return v


def decode(msg, buf):
    by_num = {num: (name, typ, rep) for name, (num, typ, rep) in MSG[msg].items()}
    obj = {}
    for num, wire, v in fields_of(buf):
        if num not in by_num:
            continue
        name, typ, rep = by_num[num]
        if typ == MAP:
            kv = {n: bytes(x).decode(errors="replace") for n, _, x in fields_of(v)}
            obj.setdefault(name, {})[kv.get(1, "")] = kv.get(2, "")
            continue
        if typ in MSG:
            val = [decode(typ, v)]
        elif wire == 2 and typ not in (S, B):  # packed repeated scalars
            val, j = [], 0
            while j < len(v):
                x, j = read_varint(v, j)
                val.append(dec_scalar(typ, x))
        else:
            val = [dec_scalar(typ, v)]
        if rep:
            obj.setdefault(name, []).extend(val)
        else:
            obj[name] = val[-1]
    return obj


class CallError(Exception):
    """A call's failure: its one-line message (stderr) and exit code 1."""


def call(channel, method, req, timeout):
    import grpc  # Debian's python3-grpcio
    if method not in METHODS:
        raise CallError(f"criclient: no method {method!r} here")
    data = encode(method + "Request", req)  # (here: a bad field is a ValueError, not grpc's)
    rpc = channel.unary_unary(f"/{METHODS[method]}/{method}",
                              request_serializer=lambda b: b,
                              response_deserializer=lambda b: decode(method + "Response", b))
    try:
        return rpc(data, timeout=timeout)
    except grpc.RpcError as e:
        raise CallError(f"{method}: {e.code().name}: {e.details()}") from None


def channel_of(sock):
    import grpc
    return grpc.insecure_channel(sock if sock.startswith("unix:") else "unix:" + sock)


# --- the streaming server: a WebSocket client, v4.channel.k8s.io ---------------------
def ws_exec(url, stdin_data, out=None, err_out=None):
    out = out or sys.stdout.buffer
    err_out = err_out or sys.stderr.buffer
    u = urllib.parse.urlsplit(url)
    s = socket.create_connection((u.hostname, u.port or 80), timeout=60)
    wskey = base64.b64encode(os.urandom(16)).decode()
    path = u.path + ("?" + u.query if u.query else "")
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {wskey}\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n").encode())
    f = s.makefile("rb")
    status = f.readline().decode()
    while f.readline() not in (b"\r\n", b""):
        pass
    if " 101 " not in status:
        raise CallError(f"criclient: websocket upgrade refused: {status.strip()}")

    def send(payload, opcode=2):
        mask = os.urandom(4)
        hdr = bytes([0x80 | opcode])
        n = len(payload)
        hdr += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n)
        s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def recv():
        h = f.read(2)
        if len(h) < 2:
            return None, b""
        n = h[1] & 0x7F
        if n == 126:
            n = struct.unpack(">H", f.read(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", f.read(8))[0]
        return h[0] & 0x0F, f.read(n)

    if stdin_data:
        send(b"\x00" + stdin_data.encode())
    code, err = 0, b""
    while True:
        op, data = recv()
        if op is None or op == 8:  # closed
            break
        if op not in (1, 2) or not data:
            continue
        ch, body = data[0], data[1:]
        if ch in (1, 2):
            (out if ch == 1 else err_out).write(body)
            out.flush()
        elif ch == 3:
            err += body
    if err:
        st = json.loads(err)
        if st.get("status") != "Success":
            code = 1
            for c in st.get("details", {}).get("causes", []):
                if c.get("reason") == "ExitCode":
                    code = int(c["message"])
    return code


def run(channel, argv, timeout, out, err_out):
    """One request of the one-shot forms (argv without SOCKET); the exit code."""
    try:
        if argv and argv[0] == "ws-exec" and len(argv) >= 2:
            return ws_exec(argv[1], argv[2] if len(argv) > 2 else "", out, err_out)
        if not argv:
            raise CallError("criclient: no method given")
        req = json.loads(argv[1]) if len(argv) > 1 else {}
        out.write(json.dumps(call(channel(), argv[0], req, timeout), sort_keys=True).encode() + b"\n")
        return 0
    except (CallError, ValueError, OSError) as e:  # (ValueError: bad JSON, a field not here)
        err_out.write(f"{e}\n".encode())
        return 1


def serve(sock, portfile, parent):
    import hmac
    import io
    import socketserver
    import threading
    import time
    token = os.urandom(16).hex()
    lock, chan = threading.Lock(), []

    def channel():  # made at the first call: containerd's socket may come later
        with lock:
            if not chan:
                chan.append(channel_of(sock))
            return chan[0]

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            buf = b""
            while True:  # COUNT\0, then COUNT fields each ending in \0
                if b"\0" in buf:
                    count = buf.split(b"\0", 1)[0]
                    if not count.isdigit():
                        return
                    if buf.count(b"\0") > int(count):
                        break
                data = self.request.recv(65536)
                if not data:
                    return
                buf += data
            n, *fields = buf.decode(errors="replace").split("\0")
            fields = fields[:int(n)]
            if len(fields) < 2 or not hmac.compare_digest(fields[0], token):
                return
            out, err_out = io.BytesIO(), io.BytesIO()
            try:
                timeout = float(fields[1])
            except ValueError:
                timeout = 120.0
            rc = run(channel, fields[2:], timeout, out, err_out)
            answer = bytearray()
            for tag, data in ((b"o", out.getvalue()), (b"e", err_out.getvalue())):
                for line in data.splitlines(keepends=True):
                    if line.endswith(b"\n"):
                        answer += tag + b" " + line[:-1] + b"\n"
                    else:
                        answer += tag.upper() + b" " + line + b"\n"
            self.request.sendall(bytes(answer) + b"rc %d\n" % rc)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server(("127.0.0.1", 0), Handler)
    tmp = f"{portfile}.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, f"{srv.server_address[1]} {token}\n".encode())
    os.close(fd)
    os.rename(tmp, portfile)  # appears only once listening

    def watch():  # the test gone (killed, no cleanup): so is this server
        while True:
            time.sleep(1)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(0)
    if parent:
        threading.Thread(target=watch, daemon=True).start()
    srv.serve_forever()


def main():
    a = sys.argv[1:]
    if len(a) >= 3 and a[0] == "serve":
        return serve(a[1], a[2], int(a[3]) if len(a) > 3 else 0)
    if len(a) >= 2 and a[0] == "ws-exec":
        sys.exit(run(None, a, 60.0, sys.stdout.buffer, sys.stderr.buffer))
    if len(a) < 2 or a[1] not in METHODS:
        raise SystemExit(__doc__)
    rc = run(lambda: channel_of(a[0]), a[1:],
             float(os.environ.get("CRI_TIMEOUT", "120")), sys.stdout.buffer, sys.stderr.buffer)
    sys.stdout.flush()
    sys.exit(rc)


if __name__ == "__main__":
    main()
