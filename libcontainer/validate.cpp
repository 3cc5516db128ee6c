#include "validate.hpp"

#include <cstring>

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "schema/schema.hpp"

namespace rrun {

namespace {

using nlohmann::json;
namespace s = schema;

uint8_t type_bit(const json& v) {
    switch (v.type()) {
        case json::value_t::object: return s::t_object;
        case json::value_t::array: return s::t_array;
        case json::value_t::string: return s::t_string;
        case json::value_t::boolean: return s::t_boolean;
        case json::value_t::number_integer:
        case json::value_t::number_unsigned: return s::t_integer | s::t_number;
        case json::value_t::number_float: return s::t_number;
        case json::value_t::null: return s::t_null;
        default: return 0;
    }
}

bool in_range(const json& v, const s::Node& n) {
    if (v.is_number_unsigned()) {
        auto u = v.get<uint64_t>();
        return !(n.has_min && n.min > 0 && u < static_cast<uint64_t>(n.min)) &&
               !(n.has_max && (n.max < 0 || u > static_cast<uint64_t>(n.max)));
    }
    if (v.is_number_integer()) {
        auto i = v.get<int64_t>();
        return !(n.has_min && i < n.min) && !(n.has_max && i > n.max);
    }
    if (v.is_number_float()) {
        double d = v.get<double>();
        return !(n.has_min && d < static_cast<double>(n.min)) && !(n.has_max && d > static_cast<double>(n.max));
    }
    return true;
}

size_t utf8_length(const std::string& str) {
    size_t n = 0;
    for (unsigned char c : str) n += (c & 0xC0) != 0x80;
    return n;
}

// Walks the document along the schema and keeps the deepest problem (the
// one that says what is wrong; the first of equal depth).
class Checker {
public:
    bool found = false;
    size_t depth = 0;
    std::string where, what;

    void check(const json& v, const s::Node& n, std::string& path, size_t level) {
        if (n.types && !(type_bit(v) & n.types)) return report(path, level, "wrong type");
        if (n.nenums) {
            bool ok = false;
            if (v.is_string()) {
                const std::string& str = v.get_ref<const std::string&>();
                for (size_t i = 0; i < n.nenums && !ok; i++) ok = str == s::str(s::names[n.enums + i]);
            }
            if (!ok) report(path, level, "value is not one of the allowed values");
        }
        if ((n.has_min || n.has_max) && !in_range(v, n)) report(path, level, "value out of range");
        if (v.is_string()) check_string(v.get_ref<const std::string&>(), n, path, level);
        if (v.is_array()) check_array(v, n, path, level);
        if (v.is_object()) check_object(v, n, path, level);
    }

private:
    void report(const std::string& path, size_t level, std::string text) {
        if (found && level <= depth) return;
        found = true;
        depth = level;
        where = path.empty() ? "(document)" : path;
        what = std::move(text);
    }

    void check_string(const std::string& str, const s::Node& n, std::string& path, size_t level) {
        // Every string ends up as a C string (path, argv, env): a NUL would cut it short silently.
        if (str.find('\0') != std::string::npos) report(path, level, "must not contain a NUL character");
        if (n.min_length && utf8_length(str) < n.min_length)
            report(path, level, n.min_length == 1 ? "must not be empty"
                                                  : "must be at least " + std::to_string(n.min_length) + " characters");
        if (n.pattern != s::kNone && !s::pattern_matches(s::str(n.pattern), str))
            report(path, level, std::string("does not match the pattern ") + s::str(n.pattern));
    }

    void check_array(const json& v, const s::Node& n, std::string& path, size_t level) {
        if (v.size() < n.min_items)
            report(path, level, n.min_items == 1 ? "must be a non-empty array"
                                                 : "must have at least " + std::to_string(n.min_items) + " elements");
        if (n.items < 0) return;
        size_t len = path.size();
        for (size_t i = 0; i < v.size(); i++) {
            path += '[' + std::to_string(i) + ']';
            check(v[i], s::nodes[n.items], path, level + 1);
            path.resize(len);
        }
    }

    void check_object(const json& v, const s::Node& n, std::string& path, size_t level) {
        for (size_t i = 0; i < n.nrequired; i++) {
            const char* name = s::str(s::names[n.required + i]);
            if (!v.contains(name)) report(path, level, std::string("missing required property \"") + name + "\"");
        }
        size_t len = path.size();
        auto visit = [&](const std::string& key, const json& value, const s::Node& sub) {
            // Keys become C strings too: sysctl names, unified cgroup file names.
            if (key.find('\0') != std::string::npos)
                return report(path, level + 1, "a property name must not contain a NUL character");
            // A key of digits reads as an index, as in "rlimits[0]".
            bool digits = !key.empty() && key.find_first_not_of("0123456789") == std::string::npos;
            if (digits)
                path += '[' + key + ']';
            else
                path += (path.empty() ? "" : ".") + key;
            check(value, sub, path, level + 1);
            path.resize(len);
        };
        for (size_t i = 0; i < n.nprops; i++) {
            const s::Property& p = s::properties[n.props + i];
            if (auto it = v.find(s::str(p.name)); it != v.end()) visit(it.key(), *it, s::nodes[p.node]);
        }
        if (n.additional < 0) return;
        for (auto& [key, value] : v.items()) {
            bool listed = false;
            for (size_t i = 0; i < n.nprops && !listed; i++) listed = key == s::str(s::properties[n.props + i].name);
            if (!listed) visit(key, value, s::nodes[n.additional]);
        }
    }
};

}  // namespace

void validate_config(const nlohmann::json& doc, const std::string& source_name) {
    if (!doc.is_object()) throw Error(source_name + ": must be a JSON object");
    Checker checker;
    std::string path;
    checker.check(doc, schema::nodes[0], path, 0);
    if (checker.found) throw Error(source_name + ": " + checker.where + ": " + checker.what);
}

}  // namespace rrun
