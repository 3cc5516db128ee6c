// libFuzzer target: the process JSON of `exec --process FILE`, parsed and
// completed from a container's own process as exec does. Any input must end
// in a Process or an rrun::Error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "error.hpp"
#include "exec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const rrun::Process container = [] {
        rrun::Process p;
        p.args = {"sh"};
        p.cwd = "/";
        p.capabilities = rrun::CapabilitySets{};
        p.capabilities->bounding = p.capabilities->permitted = 1ULL << 5;
        p.no_new_privileges = true;
        return p;
    }();
    std::string text(reinterpret_cast<const char*>(data), size);
    try {
        rrun::exec_process_from_json(text, "--process fuzz", &container);
        rrun::exec_process_from_json(text, "--process fuzz", nullptr);
    } catch (const rrun::Error&) {
    }
    return 0;
}
