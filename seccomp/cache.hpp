#pragma once
// The compiled-filter cache behind compile() (cache.cpp).
#include <linux/filter.h>
#include <optional>
#include <string>
#include <vector>

namespace rrun::seccomp {

struct CachedProgram {
    std::vector<sock_filter> program;
    bool notify;
};

// PROFILE: the linux.seccomp object as text (nlohmann's dump: keys sorted).
std::optional<CachedProgram> cache_load(const std::string& profile);
void cache_store(const std::string& profile, const std::vector<sock_filter>& program, bool notify);

}  // namespace rrun::seccomp
