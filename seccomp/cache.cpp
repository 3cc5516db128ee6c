// Compiled filters kept between runs. libseccomp takes ~37M instructions
// (10+ ms) to turn podman's default profile into BPF, and an engine starts
// every container with the same profile: the program built once is kept in
// the state root, under a hash of the exact profile text, and used again only
// when the text stored with it is byte for byte the same (no hash collision
// can hand one profile another's program). The directory is ours alone (0700,
// checked), entries are replaced atomically, and any problem with the cache
// just means compiling again.
#include "cache.hpp"

#include <dirent.h>
#include <elf.h>
#include <link.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include <seccomp.h>

#include "error.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "unique_fd.hpp"

namespace rrun::seccomp {

namespace {

std::string& cache_dir() {
    static std::string dir;
    return dir;
}

constexpr size_t kMaxEntries = 64;

// The linker's build id of this binary (a hash of its contents), in hex; the
// build time where there is none. Read from our own program headers: no I/O.
std::string build_id() {
    std::string id;
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void* out) {
            for (int i = 0; i < info->dlpi_phnum; i++) {
                const ElfW(Phdr)& ph = info->dlpi_phdr[i];
                if (ph.p_type != PT_NOTE) continue;
                auto* p = reinterpret_cast<const unsigned char*>(info->dlpi_addr + ph.p_vaddr);
                for (size_t off = 0; off + sizeof(ElfW(Nhdr)) <= ph.p_memsz;) {
                    auto* n = reinterpret_cast<const ElfW(Nhdr)*>(p + off);
                    const unsigned char* name = p + off + sizeof *n;
                    const unsigned char* desc = name + ((n->n_namesz + 3) & ~3u);
                    if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
                        auto* s = static_cast<std::string*>(out);
                        for (unsigned j = 0; j < n->n_descsz; j++) s->append({"0123456789abcdef"[desc[j] >> 4], "0123456789abcdef"[desc[j] & 15]});
                        return 1;
                    }
                    off = static_cast<size_t>(desc - p) + ((n->n_descsz + 3) & ~3u);
                }
            }
            return 1;  // the first object is the program itself
        },
        &id);
    return id.empty() ? std::string("built " __DATE__ " " __TIME__) : "build-id " + id;
}

// The build is part of the key: another rrun, or the same source rebuilt with a
// changed filter compiler, or another libseccomp may compile the same text
// differently.
std::string key_of(const std::string& profile) {
    static const std::string build = build_id();
    const scmp_version* v = seccomp_version();
    return "rrun seccomp cache 1; " + build + "; libseccomp " + std::to_string(v->major) + "." +
           std::to_string(v->minor) + "." + std::to_string(v->micro) + "\n" + profile;
}

std::string file_name(const std::string& key) {
    uint64_t h = 14695981039346656037ULL;  // FNV-1a: picks the file; the key inside decides
    for (unsigned char c : key) h = (h ^ c) * 1099511628211ULL;
    char name[32];
    snprintf(name, sizeof name, "%016llx.bpf", static_cast<unsigned long long>(h));
    return name;
}

// The cache directory, created if needed, only if no one else can write it.
unique_fd open_dir(bool create) {
    const std::string& dir = cache_dir();
    if (dir.empty()) return unique_fd();
    if (create && ::mkdir(dir.c_str(), 0700) < 0 && errno == ENOENT) {
        // The default state root may not exist yet (only --root dirs were used).
        ::mkdir(dir.substr(0, dir.rfind('/')).c_str(), 0700);
        ::mkdir(dir.c_str(), 0700);
    }
    unique_fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st;
    if (!fd || ::fstat(fd.get(), &st) < 0 || st.st_uid != ::geteuid() || (st.st_mode & 022)) return unique_fd();
    return fd;
}

struct Header {
    uint32_t key_size, notify, count;
};

}  // namespace

void set_cache_dir(std::string dir) { cache_dir() = std::move(dir); }

std::optional<CachedProgram> cache_load(const std::string& profile) {
    unique_fd dir = open_dir(false);
    if (!dir) return std::nullopt;
    std::string key = key_of(profile);
    std::string text;
    try {
        text = read_file_at(dir.get(), file_name(key));
    } catch (const Error&) {
        return std::nullopt;  // not cached yet
    }
    Header h;
    if (text.size() < sizeof h) return std::nullopt;
    std::memcpy(&h, text.data(), sizeof h);
    size_t program_at = sizeof h + h.key_size;
    if (h.key_size != key.size() || text.size() != program_at + size_t{h.count} * sizeof(sock_filter) ||
        text.compare(sizeof h, key.size(), key) != 0)
        return std::nullopt;
    CachedProgram out{std::vector<sock_filter>(h.count), h.notify != 0};
    std::memcpy(out.program.data(), text.data() + program_at, h.count * sizeof(sock_filter));
    return out;
}

void cache_store(const std::string& profile, const std::vector<sock_filter>& program, bool notify) {
    unique_fd dir = open_dir(true);
    if (!dir) return;
    std::string key = key_of(profile);
    Header h{static_cast<uint32_t>(key.size()), notify, static_cast<uint32_t>(program.size())};
    std::string data(reinterpret_cast<const char*>(&h), sizeof h);
    data += key;
    data.append(reinterpret_cast<const char*>(program.data()), program.size() * sizeof(sock_filter));
    try {
        // Bounded: past kMaxEntries profiles the cache starts over.
        if (DIR* d = ::fdopendir(::dup(dir.get()))) {
            size_t entries = 0;
            while (auto* de = ::readdir(d)) entries += de->d_name[0] != '.';
            if (entries >= kMaxEntries) {
                ::rewinddir(d);
                while (auto* de = ::readdir(d))
                    if (de->d_name[0] != '.') ::unlinkat(dir.get(), de->d_name, 0);
            }
            ::closedir(d);
        }
        write_file_atomic_at(dir.get(), file_name(key), data, 0600);
    } catch (const Error& e) {
        log_debug(std::string("seccomp: cannot cache the compiled filter: ") + e.what());
    }
}

}  // namespace rrun::seccomp
