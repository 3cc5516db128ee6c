#pragma once
// The config schema (config.schema.json) compiled at build time into tables
// (schema_compile.cpp writes them), so that `create` checks a config without
// parsing a schema first. Only the JSON-schema keywords the schema uses are
// supported; schema_compile refuses any other, so none is silently ignored.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rrun::schema {

enum TypeBit : uint8_t { t_object = 1, t_array = 2, t_string = 4, t_integer = 8, t_number = 16, t_boolean = 32, t_null = 64 };

// Strings are offsets into pool[] rather than pointers: the tables then need
// no relocation when the static-pie binary starts, and stay in read-only pages
// nothing touches unless a config is checked.
constexpr uint16_t kNone = 0xffff;

struct Node {
    uint8_t types;             // TypeBit mask of allowed JSON types; 0: any
    int16_t items;             // node for array elements; -1: none
    int16_t additional;        // node for properties not listed; -1: none
    uint16_t props, nprops;    // range in properties[]
    uint16_t required, nrequired;  // range in names[]
    uint16_t enums, nenums;    // range in names[]: the allowed strings
    bool has_min, has_max;
    int64_t min, max;          // integer bounds
    uint32_t min_items, min_length;
    uint16_t pattern;          // in pool[], ECMA-262 subset (see pattern_supported); kNone: none
};

struct Property {
    uint16_t name;  // in pool[]
    uint16_t node;
};

// Generated; nodes[0] is the document.
extern const Node nodes[];
extern const Property properties[];
extern const uint16_t names[];  // offsets in pool[]
extern const char pool[];       // NUL-terminated strings

inline const char* str(uint16_t offset) { return pool + offset; }

// Patterns: ^ and $ anchors, literal characters (\ escapes one), '.',
// [classes] with ranges and ^ negation, and * + ? after an atom. No groups,
// alternation or counted repetition. Matching searches, as JSON schema does.
namespace detail {

inline size_t atom_length(std::string_view p) {
    if (p.empty()) return 0;
    if (p[0] == '\\') return p.size() >= 2 ? 2 : 0;
    if (p[0] != '[') return 1;
    size_t i = 1;
    if (i < p.size() && p[i] == '^') i++;
    if (i < p.size() && p[i] == ']') i++;  // a leading ] is literal
    while (i < p.size() && p[i] != ']') i += p[i] == '\\' ? 2 : 1;
    return i < p.size() ? i + 1 : 0;
}

// The character an escape stands for: \n, \r and \t as in ECMA-262 (the
// spec's memBwSchema pattern is "^MB:[^\n]*$"), any other one itself.
inline char unescape(char e) { return e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e; }

inline bool atom_matches(std::string_view atom, char c) {
    if (atom[0] == '\\') return unescape(atom[1]) == c;
    if (atom[0] == '.') return c != '\n';
    if (atom[0] != '[') return atom[0] == c;
    size_t i = 1, end = atom.size() - 1;
    bool negate = atom[i] == '^';
    if (negate) i++;
    bool in = false;
    while (i < end) {
        char lo = atom[i] == '\\' ? unescape(atom[++i]) : atom[i];
        char hi = lo;
        if (i + 2 < end && atom[i + 1] == '-') {
            hi = atom[i + 2] == '\\' ? unescape(atom[i + 3]) : atom[i + 2];
            i += atom[i + 2] == '\\' ? 2 : 1;
            i++;
        }
        in = in || (c >= lo && c <= hi);
        i++;
    }
    return in != negate;
}

inline bool match_here(std::string_view p, std::string_view s) {
    if (p.empty()) return true;
    if (p == "$") return s.empty();
    size_t n = atom_length(p);
    std::string_view atom = p.substr(0, n);
    char q = n < p.size() ? p[n] : 0;
    if (q == '*' || q == '+' || q == '?') {
        size_t least = q == '+', most = q == '?' ? 1 : s.size();
        size_t i = 0;
        while (i < s.size() && i < most && atom_matches(atom, s[i])) i++;
        for (size_t k = i + 1; k-- > least;)  // greedy, then give back
            if (match_here(p.substr(n + 1), s.substr(k))) return true;
        return false;
    }
    return !s.empty() && atom_matches(atom, s[0]) && match_here(p.substr(n), s.substr(1));
}

}  // namespace detail

inline bool pattern_supported(std::string_view p) {
    size_t i = !p.empty() && p[0] == '^';
    while (i < p.size()) {
        if (p[i] == '$' && i + 1 == p.size()) return true;
        if (std::string_view("()|{}*+?^$").find(p[i]) != std::string_view::npos) return false;
        // Class escapes (\d \w \s \b) would be taken for the letter itself.
        if (p[i] == '\\' && i + 1 < p.size() && std::string_view("dDwWsSbB").find(p[i + 1]) != std::string_view::npos)
            return false;
        size_t n = detail::atom_length(p.substr(i));
        if (n == 0) return false;
        i += n;
        if (i < p.size() && (p[i] == '*' || p[i] == '+' || p[i] == '?')) i++;
    }
    return true;
}

inline bool pattern_matches(std::string_view p, std::string_view s) {
    if (!p.empty() && p[0] == '^') return detail::match_here(p.substr(1), s);
    for (size_t i = 0; i <= s.size(); i++)
        if (detail::match_here(p, s.substr(i))) return true;
    return false;
}

}  // namespace rrun::schema
