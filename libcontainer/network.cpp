#include "network.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include "sync.hpp"

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

}  // namespace rrun
