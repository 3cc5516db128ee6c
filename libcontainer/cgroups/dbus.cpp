// A small D-Bus client of our own, for the systemd cgroup driver's few calls
// (StartTransientUnit, StopUnit, ResetFailedUnit, SetUnitProperties,
// Properties.Get and the JobRemoved signal).
//
// Why not libdbus-1: Debian's libdbus-1 is built with libsystemd (ldd shows
// libsystemd, libgcrypt, liblzma, libzstd, liblz4, libcap), and libsystemd
// ships no static library, so libdbus-1.a cannot be linked into the static
// rrun without rebuilding both. sd-bus is shared-only too. The wire protocol
// for these calls is small (EXTERNAL auth, little-endian marshalling of a few
// types) and this file is only reached by --systemd-cgroup commands: the
// cgroupfs path neither runs nor faults in a byte of it.
#include "dbus.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "error.hpp"
#include "fs.hpp"

namespace rrun::dbus {

Value str(std::string s) { return Value{std::move(s)}; }
Value path(std::string p) { return Value{ObjectPath{std::move(p)}}; }
Value boolean(bool b) { return Value{b}; }
Value u32(uint32_t u) { return Value{u}; }
Value u64(uint64_t t) { return Value{t}; }
Value u32s(std::vector<uint32_t> a) { return Value{std::move(a)}; }
Value bytes(std::vector<uint8_t> a) { return Value{std::move(a)}; }
Value strs(std::vector<std::string> a) { return Value{std::move(a)}; }
Value props(Props p) { return Value{std::move(p)}; }
Value string_pairs(StringPairs p) { return Value{std::move(p)}; }
Value var(Value inner) {
    inner.variant = true;
    return inner;
}

Value empty_array(std::string sig) {
    // Every empty array has the same bytes (a zero length, then the padding
    // of its element type, which a(sv) shares with any array of structs).
    Value v{Props{}};
    v.sig = std::move(sig);
    return v;
}

namespace {

std::string bare_signature(const Value& v) {
    if (!v.sig.empty()) return v.sig;
    switch (v.v.index()) {
        case 0: return "s";
        case 1: return "o";
        case 2: return "b";
        case 3: return "u";
        case 4: return "t";
        case 5: return "au";
        case 6: return "ay";
        case 7: return "as";
        case 8: return "a(sv)";
        default: return "a(ss)";
    }
}

// Marshalling into one buffer; alignment is from the buffer's start, which is
// the message's start or its body's (8-aligned in the message).
struct Writer {
    std::string b;
    void align(size_t n) {
        while (b.size() % n) b.push_back('\0');
    }
    void u8(uint8_t x) { b.push_back(static_cast<char>(x)); }
    template <class T>
    void number(T x) {
        align(sizeof(T));
        for (size_t i = 0; i < sizeof(T); i++) b.push_back(static_cast<char>(x >> (8 * i)));
    }
    void u32(uint32_t x) { number(x); }
    void u64(uint64_t x) { number(x); }
    void put_u32_at(size_t at, uint32_t x) {
        for (int i = 0; i < 4; i++) b[at + i] = static_cast<char>(x >> (8 * i));
    }
    void string(const std::string& s) {
        u32(static_cast<uint32_t>(s.size()));
        b += s;
        b.push_back('\0');
    }
    void sig(const std::string& s) {
        u8(static_cast<uint8_t>(s.size()));
        b += s;
        b.push_back('\0');
    }
    // Arrays: the length (in bytes, from the first element, after its padding).
    template <class F>
    void array(size_t elem_align, F elements) {
        u32(0);
        size_t len_at = b.size() - 4;
        align(elem_align);
        size_t start = b.size();
        elements();
        put_u32_at(len_at, static_cast<uint32_t>(b.size() - start));
    }
    void value(const Value& v) {
        if (v.variant) {
            Value bare = v;
            bare.variant = false;
            sig(bare_signature(bare));
            value(bare);
            return;
        }
        std::visit(
            [&](const auto& x) {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, std::string>) string(x);
                else if constexpr (std::is_same_v<T, ObjectPath>) string(x.path);
                else if constexpr (std::is_same_v<T, bool>) u32(x ? 1 : 0);
                else if constexpr (std::is_same_v<T, uint32_t>) u32(x);
                else if constexpr (std::is_same_v<T, uint64_t>) u64(x);
                else if constexpr (std::is_same_v<T, std::vector<uint32_t>>) array(4, [&] { for (auto e : x) u32(e); });
                else if constexpr (std::is_same_v<T, std::vector<uint8_t>>) array(1, [&] { for (auto e : x) u8(e); });
                else if constexpr (std::is_same_v<T, std::vector<std::string>>) array(4, [&] { for (auto& e : x) string(e); });
                else if constexpr (std::is_same_v<T, StringPairs>)
                    array(8, [&] {
                        for (auto& [a, b] : x) {
                            align(8);  // a struct starts 8-aligned
                            string(a);
                            string(b);
                        }
                    });
                else
                    array(8, [&] {
                        for (auto& [name, val] : x) {
                            align(8);
                            string(name);
                            value(val.variant ? val : var(val));
                        }
                    });
            },
            v.v);
    }
};

template <class T>
T little_endian(const char* p) {
    T x = 0;
    for (size_t i = 0; i < sizeof(T); i++) x |= static_cast<T>(static_cast<uint8_t>(p[i])) << (8 * i);
    return x;
}

struct Reader {
    const std::string& b;
    size_t at;
    size_t end;
    void need(size_t n) const {
        if (at + n > end) throw Error("D-Bus: truncated message");
    }
    void align(size_t n) {
        at = (at + n - 1) / n * n;
        if (at > end) throw Error("D-Bus: truncated message");
    }
    uint8_t u8() {
        need(1);
        return static_cast<uint8_t>(b[at++]);
    }
    // A little-endian number, aligned to its size.
    template <class T>
    T number() {
        align(sizeof(T));
        need(sizeof(T));
        T x = little_endian<T>(b.data() + at);
        at += sizeof(T);
        return x;
    }
    uint32_t u32() { return number<uint32_t>(); }
    uint64_t u64() { return number<uint64_t>(); }
    // N bytes and their NUL: a string after its u32 length, a signature after its byte.
    std::string text(size_t n) {
        need(n + 1);
        std::string s = b.substr(at, n);
        at += n + 1;
        return s;
    }
    std::string string() { return text(u32()); }
    std::string sig() { return text(u8()); }
    // One basic value of type C as text (s, o, g, b, y, u, i, t, x); false for another type.
    bool basic(char c, std::string& out) {
        switch (c) {
            case 's': case 'o': out = string(); return true;
            case 'g': out = sig(); return true;
            case 'y': out = std::to_string(u8()); return true;
            case 'b': out = u32() ? "true" : "false"; return true;
            case 'u': out = std::to_string(u32()); return true;
            case 'i': out = std::to_string(static_cast<int32_t>(u32())); return true;
            case 't': out = std::to_string(u64()); return true;
            case 'x': out = std::to_string(static_cast<int64_t>(u64())); return true;
            default: return false;
        }
    }
};

// The whole header array's field values we use; skips the others by type.
void read_header_fields(Reader& r, Message& m) {
    uint32_t len = r.u32();
    r.align(8);
    size_t stop = r.at + len;
    if (stop > r.end) throw Error("D-Bus: truncated header");
    while (r.at < stop) {
        r.align(8);
        uint8_t code = r.u8();
        std::string sig = r.sig(), text;
        if (sig.size() != 1 || !r.basic(sig[0], text)) throw Error("D-Bus: unexpected header field type " + sig);
        switch (code) {
            case 1: m.path = text; break;
            case 2: m.interface = text; break;
            case 3: m.member = text; break;
            case 4: m.error_name = text; break;
            case 5: m.reply_serial = static_cast<uint32_t>(std::stoul(text)); break;
            case 8: m.signature = text; break;
            default: break;
        }
    }
    r.at = stop;
}

std::string header(uint8_t type, uint32_t serial, uint32_t body_len, const std::vector<std::pair<uint8_t, Value>>& fields,
                   const std::string& body_sig) {
    Writer w;
    w.u8('l');
    w.u8(type);
    w.u8(0);
    w.u8(1);
    w.u32(body_len);
    w.u32(serial);
    w.array(8, [&] {
        for (auto& [code, v] : fields) {
            w.align(8);
            w.u8(code);
            w.value(var(v));
        }
        if (!body_sig.empty()) {
            w.align(8);
            w.u8(8);
            w.sig("g");
            w.sig(body_sig);
        }
    });
    w.align(8);
    return w.b;
}

std::string hex(const std::string& s) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) out += {digits[c >> 4], digits[c & 15]};
    return out;
}

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace

std::string signature_of(const Value& v) { return v.variant ? "v" : bare_signature(v); }

std::string marshal_body(const std::vector<Value>& args) {
    Writer w;
    for (auto& a : args) w.value(a);
    return w.b;
}

std::string marshal_call(uint32_t serial, const std::string& dest, const std::string& obj, const std::string& iface,
                         const std::string& member, const std::vector<Value>& args) {
    std::string body = marshal_body(args), sig;
    for (auto& a : args) sig += signature_of(a);
    std::vector<std::pair<uint8_t, Value>> fields{{1, path(obj)}, {3, str(member)}};
    if (!iface.empty()) fields.push_back({2, str(iface)});
    if (!dest.empty()) fields.push_back({6, str(dest)});
    return header(1, serial, static_cast<uint32_t>(body.size()), fields, sig) + body;
}

Message parse_message(const std::string& bytes) {
    if (bytes.size() < 16 || bytes[0] != 'l') throw Error("D-Bus: not a little-endian message");
    Message m;
    Reader h{bytes, 0, bytes.size()};
    h.u8();
    m.type = h.u8();
    h.u8();
    h.u8();
    uint32_t body_len = h.u32();
    m.serial = h.u32();
    read_header_fields(h, m);
    h.align(8);
    if (h.at + body_len != bytes.size()) throw Error("D-Bus: message length does not match its header");
    // The body, aligned from its own start (8-aligned in the message).
    std::string body = bytes.substr(h.at);
    Reader r{body, 0, body.size()};
    for (size_t i = 0; i < m.signature.size(); i++) {
        char c = m.signature[i];
        std::string text;
        if (c == 'v') {
            std::string s = r.sig();
            if (s.size() != 1 || !r.basic(s[0], text)) break;
        } else if (!r.basic(c, text)) {
            break;  // containers: not needed by the callers
        }
        m.args.push_back(std::move(text));
    }
    return m;
}

uid_t host_uid() {
    uid_t uid = ::getuid();
    std::string map;
    try {
        map = read_file("/proc/self/uid_map");
    } catch (const Error&) {
        return uid;
    }
    for (size_t at = 0; at < map.size();) {
        size_t eol = map.find('\n', at);
        if (eol == std::string::npos) eol = map.size();
        unsigned long inside, outside, count;
        if (std::sscanf(map.substr(at, eol - at).c_str(), "%lu %lu %lu", &inside, &outside, &count) == 3 && uid >= inside &&
            uid - inside < count)
            return static_cast<uid_t>(outside + (uid - inside));
        at = eol + 1;
    }
    return uid;
}

std::string bus_address(bool user) {
    if (!user) {
        const char* a = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
        return a && *a ? a : "unix:path=/run/dbus/system_bus_socket";
    }
    if (const char* a = std::getenv("DBUS_SESSION_BUS_ADDRESS"); a && *a) return a;
    if (const char* x = std::getenv("XDG_RUNTIME_DIR"); x && *x) return std::string("unix:path=") + x + "/bus";
    throw Error("--systemd-cgroup (rootless): no user bus: neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set");
}

Connection::Connection(const std::string& address, std::string name) : name_(std::move(name)) {
    // The first unix entry of the ;-separated list: path= or abstract=.
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    socklen_t len = 0;
    std::string where;
    for (size_t at = 0; at < address.size() && !len;) {
        size_t end = address.find(';', at);
        if (end == std::string::npos) end = address.size();
        std::string entry = address.substr(at, end - at);
        at = end + 1;
        if (entry.rfind("unix:", 0) != 0) continue;
        for (size_t k = 5; k < entry.size();) {
            size_t comma = entry.find(',', k);
            if (comma == std::string::npos) comma = entry.size();
            std::string kv = entry.substr(k, comma - k);
            k = comma + 1;
            bool abstract = kv.rfind("abstract=", 0) == 0;
            if (kv.rfind("path=", 0) != 0 && !abstract) continue;
            std::string p = kv.substr(abstract ? 9 : 5);
            // %XX escapes of the address syntax.
            std::string unesc;
            for (size_t i = 0; i < p.size(); i++) {
                if (p[i] == '%' && i + 2 < p.size()) {
                    unesc.push_back(static_cast<char>(std::stoi(p.substr(i + 1, 2), nullptr, 16)));
                    i += 2;
                } else {
                    unesc.push_back(p[i]);
                }
            }
            if (unesc.size() + 1 >= sizeof sa.sun_path) break;
            std::memcpy(sa.sun_path + (abstract ? 1 : 0), unesc.data(), unesc.size());
            // Abstract: a leading NUL and no trailing one; a path: its NUL.
            len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + unesc.size() + 1);
            where = (abstract ? "@" : "") + unesc;
            break;
        }
    }
    if (!len) throw Error(name_ + ": no usable unix: entry in the bus address \"" + address + "\"");
    name_ += " (" + where + ")";
    fd_ = unique_fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd_) throw_errno(name_ + ": socket");
    if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&sa), len) < 0) throw_errno(name_ + ": connect");
    // EXTERNAL with our uid as the bus sees it (hex of its decimal digits).
    send(std::string(1, '\0') + "AUTH EXTERNAL " + hex(std::to_string(host_uid())) + "\r\n");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::string line;
    while (line.size() < 2 || line.compare(line.size() - 2, 2, "\r\n") != 0) {
        char c;
        if (!read_exact(&c, 1, deadline)) throw Error(name_ + ": no answer to authentication");
        line.push_back(c);
        if (line.size() > 512) throw Error(name_ + ": authentication answer too long");
    }
    if (line.rfind("OK ", 0) != 0) {
        line.resize(line.size() - 2);
        throw Error(name_ + ": authentication as uid " + std::to_string(host_uid()) + " refused: " + line);
    }
    send("BEGIN\r\n");
    Message hello = call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello", {}, "",
                         std::chrono::seconds(10));
    unique_ = hello.args.empty() ? "" : hello.args[0];
}

void Connection::send(const std::string& bytes) {
    for (size_t off = 0; off < bytes.size();) {
        ssize_t n = ::send(fd_.get(), bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno(name_ + ": send");
        off += static_cast<size_t>(n);
    }
}

bool Connection::read_exact(char* buf, size_t n, std::chrono::steady_clock::time_point deadline) {
    for (size_t got = 0; got < n;) {
        pollfd p{fd_.get(), POLLIN, 0};
        int r = ::poll(&p, 1, remaining_ms(deadline));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw_errno(name_ + ": poll");
        if (r == 0) return false;
        ssize_t k = ::recv(fd_.get(), buf + got, n - got, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) throw_errno(name_ + ": recv");
        if (k == 0) throw Error(name_ + ": the bus closed the connection");
        got += static_cast<size_t>(k);
    }
    return true;
}

bool Connection::read_message(Message& m, std::chrono::steady_clock::time_point deadline) {
    std::string bytes(16, '\0');
    if (!read_exact(bytes.data(), 16, deadline)) return false;
    if (bytes[0] != 'l') throw Error(name_ + ": a big-endian message (not supported)");
    uint64_t body = little_endian<uint32_t>(bytes.data() + 4), fields = little_endian<uint32_t>(bytes.data() + 12);
    uint64_t total = (16 + fields + 7) / 8 * 8 + body;
    if (total > (128u << 20)) throw Error(name_ + ": message too large");
    bytes.resize(total);
    if (!read_exact(bytes.data() + 16, total - 16, deadline)) throw Error(name_ + ": timed out within a message");
    m = parse_message(bytes);
    return true;
}

Message Connection::call_nothrow(const std::string& dest, const std::string& obj, const std::string& iface,
                                 const std::string& member, const std::vector<Value>& args,
                                 std::chrono::milliseconds timeout) {
    uint32_t serial = ++serial_;
    send(marshal_call(serial, dest, obj, iface, member, args));
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        Message m;
        if (!read_message(m, deadline)) throw Error(name_ + ": " + member + ": no reply in " + std::to_string(timeout.count() / 1000) + " s");
        if ((m.type == 2 || m.type == 3) && m.reply_serial == serial) return m;
        if (m.type == 4) pending_.push_back(std::move(m));
    }
}

Message Connection::call(const std::string& dest, const std::string& obj, const std::string& iface, const std::string& member,
                         const std::vector<Value>& args, const std::string& what, std::chrono::milliseconds timeout) {
    Message m = call_nothrow(dest, obj, iface, member, args, timeout);
    if (m.type == 3)
        throw Error(name_ + ": " + member + (what.empty() ? "" : " " + what) + ": " + m.error_name +
                    (m.args.empty() ? "" : ": " + m.args[0]));
    return m;
}

}  // namespace rrun::dbus
