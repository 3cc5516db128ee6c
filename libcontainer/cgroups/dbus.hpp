#pragma once
// A small D-Bus client: just what the systemd cgroup driver needs (method
// calls on one connection, their replies and errors, the signals that arrive
// meanwhile). See dbus.cpp for why it is ours and not libdbus-1.
#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "unique_fd.hpp"

namespace rrun::dbus {

// A value as D-Bus marshals it. The kinds are the ones systemd's unit
// properties take: s, o (object path), b, u, t, au, ay, as, a(sv) (nested
// properties), a(ss) (DeviceAllow's path and access pairs), v (a variant
// holding one of these).
struct Value;
using Props = std::vector<std::pair<std::string, Value>>;
struct ObjectPath {
    std::string path;
};
using StringPairs = std::vector<std::pair<std::string, std::string>>;
struct Value {
    std::variant<std::string, ObjectPath, bool, uint32_t, uint64_t, std::vector<uint32_t>, std::vector<uint8_t>,
                 std::vector<std::string>, Props, StringPairs>
        v;
    bool variant = false;  // marshalled as a variant (v) around the value
    std::string sig;       // when set: the signature to declare (an empty array of another element type)
};
Value str(std::string s);
Value path(std::string p);
Value boolean(bool b);
Value u32(uint32_t u);
Value u64(uint64_t t);
Value u32s(std::vector<uint32_t> a);
Value bytes(std::vector<uint8_t> a);
Value strs(std::vector<std::string> a);
Value props(Props p);                  // a(sv)
Value string_pairs(StringPairs p);     // a(ss)
Value var(Value inner);                 // v
Value empty_array(std::string sig);     // an empty array of any type: "a(sa(sv))"
std::string signature_of(const Value& v);  // "s", "a(sv)", "v", ...

// A message as read back: the header fields the caller needs and the body's
// leading basic values (strings, object paths, numbers; a variant's content).
struct Message {
    uint8_t type = 0;  // 1 call, 2 return, 3 error, 4 signal
    uint32_t serial = 0, reply_serial = 0;
    std::string path, interface, member, error_name, signature;
    std::vector<std::string> args;  // body values of basic types, as text, in order
};

class Connection {
public:
    // ADDRESS as in DBUS_*_BUS_ADDRESS: the first "unix:path=" or
    // "unix:abstract=" entry. NAME names the bus in errors ("system bus").
    // Authenticates (EXTERNAL) and says Hello.
    Connection(const std::string& address, std::string name);
    // A method call; returns the reply, throws an Error for an error reply
    // ("NAME: MEMBER WHAT: ERROR.NAME: message") or a timeout.
    Message call(const std::string& dest, const std::string& path, const std::string& iface, const std::string& member,
                 const std::vector<Value>& args, const std::string& what = "",
                 std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // The same, but an error reply is returned (type 3) rather than thrown.
    Message call_nothrow(const std::string& dest, const std::string& path, const std::string& iface,
                         const std::string& member, const std::vector<Value>& args,
                         std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // Waits for a signal MATCH accepts (signals that came with earlier replies
    // first); false on timeout.
    template <class F>
    bool wait_signal(F match, std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            for (auto it = pending_.begin(); it != pending_.end(); ++it)
                if (match(*it)) {
                    pending_.erase(it);
                    return true;
                }
            pending_.clear();
            Message m;
            if (!read_message(m, deadline)) return false;
            if (m.type == 4) pending_.push_back(std::move(m));
        }
    }
    const std::string& name() const { return name_; }
    const std::string& unique_name() const { return unique_; }

private:
    void send(const std::string& bytes);
    bool read_message(Message& m, std::chrono::steady_clock::time_point deadline);
    bool read_exact(char* buf, size_t n, std::chrono::steady_clock::time_point deadline);
    unique_fd fd_;
    std::string name_, unique_;
    uint32_t serial_ = 0;
    std::vector<Message> pending_;
};

// The bus address for root (system bus: $DBUS_SYSTEM_BUS_ADDRESS, else
// /run/dbus/system_bus_socket) or a rootless user ($DBUS_SESSION_BUS_ADDRESS,
// else $XDG_RUNTIME_DIR/bus).
std::string bus_address(bool user);

// --- exposed for unit tests ---
// The body of a message with these arguments (little-endian, aligned from its start).
std::string marshal_body(const std::vector<Value>& args);
// A whole method call message.
std::string marshal_call(uint32_t serial, const std::string& dest, const std::string& path, const std::string& iface,
                         const std::string& member, const std::vector<Value>& args);
// Parses one whole message (header and body) as read from the socket.
Message parse_message(const std::string& bytes);
// The uid the bus sees for us: getuid() mapped out of our user namespace(s) by /proc/self/uid_map.
uid_t host_uid();

}  // namespace rrun::dbus
