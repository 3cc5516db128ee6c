#include "network.hpp"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

#include "error.hpp"
#include "sync.hpp"
#include "unique_fd.hpp"

namespace rrun {

int bring_up_loopback() {
    int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) return child_fail(errno, "bring up lo: socket");
    struct ifreq ifr = {};
    strncpy(ifr.ifr_name, "lo", sizeof ifr.ifr_name - 1);
    int rc = ::ioctl(sock, SIOCGIFFLAGS, &ifr);
    if (rc == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        rc = ::ioctl(sock, SIOCSIFFLAGS, &ifr);
    }
    int err = errno;
    ::close(sock);
    return rc < 0 ? child_fail(err, "bring up lo") : 0;
}

namespace {

// One rtnetlink request being built: the header, a fixed part, attributes.
class Request {
public:
    Request(uint16_t type, uint16_t flags) {
        nlmsghdr h{};
        h.nlmsg_type = type;
        h.nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
        append(&h, sizeof h);
    }
    template <class T>
    void body(const T& fixed) {
        append(&fixed, sizeof fixed);
    }
    void attr(uint16_t type, const void* data, size_t len) {
        rtattr a{static_cast<unsigned short>(RTA_LENGTH(len)), type};
        append(&a, sizeof a);
        append(data, len);
    }
    void attr_str(uint16_t type, const std::string& s) { attr(type, s.c_str(), s.size() + 1); }
    template <class T>
    void attr_val(uint16_t type, T v) {
        attr(type, &v, sizeof v);
    }
    std::vector<char>& finish(uint32_t seq) {
        auto* h = reinterpret_cast<nlmsghdr*>(buf_.data());
        h->nlmsg_len = static_cast<uint32_t>(buf_.size());
        h->nlmsg_seq = seq;
        return buf_;
    }

private:
    void append(const void* p, size_t n) {
        auto* c = static_cast<const char*>(p);
        buf_.insert(buf_.end(), c, c + n);
        buf_.resize(NLMSG_ALIGN(buf_.size()));
    }
    std::vector<char> buf_;
};

// A NETLINK_ROUTE socket, bound to the network namespace it was made in.
class Netlink {
public:
    Netlink() : fd_(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) {
        if (!fd_) throw_errno("netlink socket");
    }

    // Sends REQ and reads the answer: each message of a dump goes to ON_MSG;
    // returns 0 or the errno of the kernel's NLMSG_ERROR.
    template <class F>
    int call(Request& req, F&& on_msg) {
        uint32_t seq = ++seq_;
        auto& buf = req.finish(seq);
        sockaddr_nl kernel{};
        kernel.nl_family = AF_NETLINK;
        if (::sendto(fd_.get(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
            throw_errno("netlink send");
        std::vector<char> in(1 << 16);
        for (;;) {
            ssize_t n = ::recv(fd_.get(), in.data(), in.size(), 0);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw_errno("netlink receive");
            int len = static_cast<int>(n);
            for (auto* h = reinterpret_cast<nlmsghdr*>(in.data()); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
                if (h->nlmsg_seq != seq) continue;
                if (h->nlmsg_type == NLMSG_DONE) return 0;
                if (h->nlmsg_type == NLMSG_ERROR) return -static_cast<nlmsgerr*>(NLMSG_DATA(h))->error;
                on_msg(h);
            }
        }
    }
    int call(Request& req) {
        return call(req, [](nlmsghdr*) {});
    }

private:
    unique_fd fd_;
    uint32_t seq_ = 0;
};

template <class F>
void for_each_attr(rtattr* a, int len, F&& f) {
    for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) f(a);
}

// The links of a namespace: index -> name.
std::map<int, std::string> links(Netlink& nl) {
    std::map<int, std::string> out;
    Request req(RTM_GETLINK, NLM_F_DUMP);
    req.body(ifinfomsg{});
    int err = nl.call(req, [&](nlmsghdr* h) {
        if (h->nlmsg_type != RTM_NEWLINK) return;
        auto* ifi = static_cast<ifinfomsg*>(NLMSG_DATA(h));
        for_each_attr(IFLA_RTA(ifi), static_cast<int>(IFLA_PAYLOAD(h)), [&](rtattr* a) {
            if (a->rta_type == IFLA_IFNAME) out[ifi->ifi_index] = static_cast<const char*>(RTA_DATA(a));
        });
    });
    if (err) throw_sys(err, "list network interfaces");
    return out;
}

// An address to put back after the move, as the kernel showed it.
struct Address {
    ifaddrmsg msg;
    uint32_t flags;
    std::vector<std::pair<uint16_t, std::vector<char>>> attrs;  // IFA_LOCAL, IFA_ADDRESS, IFA_BROADCAST
};

// config-linux.md: the permanent (IFA_F_PERMANENT) addresses of global scope
// (RT_SCOPE_UNIVERSE), of any family. The kernel drops every address of a
// device that changes namespace.
std::vector<Address> permanent_global_addresses(Netlink& nl, int index) {
    std::vector<Address> out;
    Request req(RTM_GETADDR, NLM_F_DUMP);
    req.body(ifaddrmsg{});
    int err = nl.call(req, [&](nlmsghdr* h) {
        if (h->nlmsg_type != RTM_NEWADDR) return;
        auto* ifa = static_cast<ifaddrmsg*>(NLMSG_DATA(h));
        if (static_cast<int>(ifa->ifa_index) != index || ifa->ifa_scope != RT_SCOPE_UNIVERSE) return;
        Address a{*ifa, ifa->ifa_flags, {}};
        for_each_attr(IFA_RTA(ifa), static_cast<int>(IFA_PAYLOAD(h)), [&](rtattr* at) {
            auto* d = static_cast<const char*>(RTA_DATA(at));
            if (at->rta_type == IFA_FLAGS) memcpy(&a.flags, d, sizeof a.flags);
            if (at->rta_type == IFA_LOCAL || at->rta_type == IFA_ADDRESS || at->rta_type == IFA_BROADCAST)
                a.attrs.push_back({at->rta_type, std::vector<char>(d, d + RTA_PAYLOAD(at))});
        });
        if (a.flags & IFA_F_PERMANENT) out.push_back(std::move(a));
    });
    if (err) throw_sys(err, "list the addresses of interface " + std::to_string(index));
    return out;
}

std::string address_text(const Address& a) {
    for (auto& [type, data] : a.attrs) {
        if (type != IFA_LOCAL && !(type == IFA_ADDRESS && a.msg.ifa_family == AF_INET6)) continue;
        char text[64] = "?";
        ::inet_ntop(a.msg.ifa_family, data.data(), text, sizeof text);
        return std::string(text) + "/" + std::to_string(a.msg.ifa_prefixlen);
    }
    return "?";
}

// Puts the calling thread back into the network namespace OURS at the end
// of the scope (sockets made meanwhile stay in the one it had entered).
class InNetns {
public:
    explicit InNetns(int ours) : ours_(ours) {}
    InNetns(const InNetns&) = delete;
    InNetns& operator=(const InNetns&) = delete;
    ~InNetns() {
        if (::setns(ours_, CLONE_NEWNET) < 0) std::abort();  // would go on in the container's network
    }

private:
    int ours_;
};

bool same_namespace(int a, int b) {
    struct stat sa, sb;
    return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace

void move_net_devices(const std::vector<NetDevice>& devices, int netns) {
    if (devices.empty()) return;
    const char* privilege = " (moving a host interface takes CAP_NET_ADMIN over the runtime's network namespace and "
                            "entering the container's: run rrun as root)";
    unique_fd ours(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!ours) throw_errno("open /proc/thread-self/ns/net");
    if (same_namespace(ours.get(), netns))
        throw Error("linux.netDevices: the container's network namespace is the runtime's: the devices cannot be "
                    "moved into a network namespace of the container's own");
    Netlink host;
    std::optional<Netlink> inside;
    {
        if (::setns(netns, CLONE_NEWNET) < 0)
            throw Error(std::string("linux.netDevices: enter the container's network namespace: ") + strerror(errno) +
                        (errno == EPERM ? privilege : ""));
        InNetns back(ours.get());
        inside.emplace();
    }
    for (auto& d : devices) {
        std::string where = "linux.netDevices[\"" + d.host_name + "\"]";
        int index = static_cast<int>(::if_nametoindex(d.host_name.c_str()));
        if (!index) {
            if (errno == ENODEV || errno == ENXIO) throw Error(where + ": no interface \"" + d.host_name + "\" in the runtime's network namespace");
            throw_errno(where + ": look up interface " + d.host_name);
        }
        auto before = links(*inside);
        bool templated = d.name.find('%') != std::string::npos;
        // The spec: a name already there is an error, said before anything
        // moves; with a %d template the kernel picks a free number.
        if (!templated)
            for (auto& [i, name] : before)
                if (name == d.name)
                    throw Error(where + (d.name == d.host_name ? "" : ".name") + ": an interface \"" + d.name +
                                "\" already exists in the container's network namespace");
        auto addresses = permanent_global_addresses(host, index);
        // One request moves and renames, as `ip link set DEV netns NS name NAME`.
        Request move(RTM_NEWLINK, NLM_F_ACK);
        ifinfomsg ifi{};
        ifi.ifi_family = AF_UNSPEC;
        ifi.ifi_index = index;
        move.body(ifi);
        move.attr_val<uint32_t>(IFLA_NET_NS_FD, static_cast<uint32_t>(netns));
        move.attr_str(IFLA_IFNAME, d.name);
        if (int err = host.call(move)) {
            if (err == EEXIST) throw Error(where + ".name: an interface \"" + d.name + "\" already exists in the container's network namespace");
            if (err == EPERM) throw Error(where + ": move into the container's network namespace: " + strerror(err) + privilege);
            throw_sys(err, where + ": move into the container's network namespace");
        }
        // Found by what is new there: a template's name is the kernel's choice,
        // and the index changes when it is taken.
        int moved = 0;
        for (auto& [i, name] : links(*inside))
            if (!before.count(i)) moved = i;
        if (!moved) throw Error(where + ": the interface is not in the container's network namespace after the move");
        Request up(RTM_NEWLINK, NLM_F_ACK);
        ifinfomsg ifu{};
        ifu.ifi_family = AF_UNSPEC;
        ifu.ifi_index = moved;
        ifu.ifi_flags = IFF_UP;
        ifu.ifi_change = IFF_UP;
        up.body(ifu);
        if (int err = inside->call(up)) throw_sys(err, where + ": set the interface up in the container");
        for (auto& a : addresses) {
            Request add(RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
            ifaddrmsg m = a.msg;
            m.ifa_index = static_cast<uint32_t>(moved);
            // What a user may ask for; PERMANENT, TENTATIVE and the like are the kernel's.
            uint32_t keep = a.flags & (IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE |
                                       IFA_F_MCAUTOJOIN);
            m.ifa_flags = static_cast<uint8_t>(keep & 0xff);
            add.body(m);
            for (auto& [type, data] : a.attrs) add.attr(type, data.data(), data.size());
            if (keep > 0xff) add.attr_val<uint32_t>(IFA_FLAGS, keep);
            if (int err = inside->call(add)) throw_sys(err, where + ": add address " + address_text(a) + " in the container");
        }
    }
}

}  // namespace rrun
