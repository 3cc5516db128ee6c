// Build-time tool: schema_compile SCHEMA.json OUT.cpp. Turns the config
// schema into the tables of schema.hpp. Fails the build on any keyword or
// form the validator does not implement.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "schema.hpp"

using nlohmann::json;
using rrun::schema::Node;

namespace {

struct Compiler {
    const json& root;
    std::vector<Node> nodes;
    std::vector<std::pair<std::string, int>> properties;
    std::vector<std::string> names;
    std::vector<std::string> patterns;  // per node, "" for none
    std::map<std::string, int> definitions;

    [[noreturn]] void fail(const std::string& where, const std::string& what) {
        throw std::runtime_error(where + ": " + what);
    }

    int ref(const std::string& target, const std::string& where) {
        const std::string prefix = "#/definitions/";
        if (target.rfind(prefix, 0) != 0) fail(where, "only #/definitions/NAME references are supported");
        std::string name = target.substr(prefix.size());
        if (auto it = definitions.find(name); it != definitions.end()) return it->second;
        auto defs = root.find("definitions");
        if (defs == root.end() || !defs->contains(name)) fail(where, "no definition " + name);
        return compile((*defs)[name], "definitions." + name, name);
    }

    uint16_t add_names(const json& list, const std::string& where) {
        uint16_t first = static_cast<uint16_t>(names.size());
        for (auto& v : list) {
            if (!v.is_string()) fail(where, "only strings are supported here");
            names.push_back(v.get<std::string>());
        }
        return first;
    }

    // DEFINITION: register the node before its children, for recursion.
    int compile(const json& s, const std::string& where, const std::string& definition = "") {
        if (!s.is_object()) fail(where, "a schema must be an object");
        if (auto r = s.find("$ref"); r != s.end()) {
            for (auto& [k, v] : s.items())
                if (k != "$ref" && k != "description") fail(where, "keywords beside $ref are ignored by draft 4: " + k);
            return ref(r->get<std::string>(), where);
        }
        int index = static_cast<int>(nodes.size());
        nodes.push_back(Node{0, -1, -1, 0, 0, 0, 0, 0, 0, false, false, 0, 0, 0, 0, rrun::schema::kNone});
        patterns.emplace_back();
        if (!definition.empty()) definitions[definition] = index;
        Node n = nodes[index];
        for (auto& [key, v] : s.items()) {
            std::string at = where + "." + key;
            if (key == "description" || key == "$schema" || (key == "definitions" && &s == &root)) continue;
            if (key == "type") {
                static const std::map<std::string, uint8_t> bits = {
                    {"object", rrun::schema::t_object},   {"array", rrun::schema::t_array},
                    {"string", rrun::schema::t_string},   {"integer", rrun::schema::t_integer},
                    {"number", rrun::schema::t_number | rrun::schema::t_integer},
                    {"boolean", rrun::schema::t_boolean}, {"null", rrun::schema::t_null}};
                json list = v.is_array() ? v : json::array({v});
                for (auto& t : list) {
                    auto b = bits.find(t.get<std::string>());
                    if (b == bits.end()) fail(at, "unknown type " + t.dump());
                    n.types |= b->second;
                }
            } else if (key == "properties") {
                std::vector<std::pair<std::string, int>> mine;
                for (auto& [name, sub] : v.items()) mine.emplace_back(name, compile(sub, at + "." + name));
                n.props = static_cast<uint16_t>(properties.size());
                n.nprops = static_cast<uint16_t>(mine.size());
                properties.insert(properties.end(), mine.begin(), mine.end());
            } else if (key == "required") {
                n.required = add_names(v, at);
                n.nrequired = static_cast<uint16_t>(v.size());
            } else if (key == "enum") {
                n.enums = add_names(v, at);
                n.nenums = static_cast<uint16_t>(v.size());
            } else if (key == "items") {
                if (!v.is_object()) fail(at, "only a single schema for all items is supported");
                n.items = static_cast<int16_t>(compile(v, at));
            } else if (key == "additionalProperties") {
                if (v.is_boolean() && v.get<bool>()) continue;  // the default
                if (!v.is_object()) fail(at, "only a schema (or true) is supported");
                n.additional = static_cast<int16_t>(compile(v, at));
            } else if (key == "minimum" || key == "maximum") {
                if (!v.is_number_integer()) fail(at, "only integer bounds are supported");
                (key == "minimum" ? n.has_min : n.has_max) = true;
                (key == "minimum" ? n.min : n.max) = v.get<int64_t>();
            } else if (key == "minItems" || key == "minLength") {
                (key == "minItems" ? n.min_items : n.min_length) = v.get<uint32_t>();
            } else if (key == "pattern") {
                std::string p = v.get<std::string>();
                if (!rrun::schema::pattern_supported(p)) fail(at, "pattern " + p + " uses more than schema.hpp supports");
                patterns[index] = p;
            } else {
                fail(at, "unsupported keyword (add it to schema.hpp, validate.cpp and schema_compile.cpp)");
            }
        }
        nodes[index] = n;
        return index;
    }
};

std::string c_literal(const std::string& s) { return json(s).dump(); }  // JSON string escapes are valid C++

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: schema_compile SCHEMA.json OUT.cpp\n";
        return 2;
    }
    try {
        std::ifstream in(argv[1]);
        json schema = json::parse(in);
        Compiler c{schema, {}, {}, {}, {}, {}};
        c.compile(schema, "(schema)");
        // Every string once, in a pool the tables point into by offset.
        std::string pool;
        std::map<std::string, size_t> offsets;
        auto intern = [&](const std::string& str) {
            auto [it, added] = offsets.emplace(str, pool.size());
            if (added) pool += str + '\0';
            if (it->second >= rrun::schema::kNone) throw std::runtime_error("string pool larger than 64 KiB");
            return it->second;
        };
        std::ostringstream out;
        out << "// Generated by schema_compile from " << argv[1] << ": do not edit.\n"
            << "#include \"schema/schema.hpp\"\n\nnamespace rrun::schema {\n\nconst Node nodes[] = {\n";
        for (size_t i = 0; i < c.nodes.size(); i++) {
            const Node& n = c.nodes[i];
            out << "    {" << int(n.types) << ", " << n.items << ", " << n.additional << ", " << n.props << ", "
                << n.nprops << ", " << n.required << ", " << n.nrequired << ", " << n.enums << ", " << n.nenums
                << ", " << n.has_min << ", " << n.has_max << ", " << n.min << "LL, " << n.max << "LL, "
                << n.min_items << ", " << n.min_length << ", "
                << (c.patterns[i].empty() ? rrun::schema::kNone : intern(c.patterns[i])) << "},\n";
        }
        out << "};\n\nconst Property properties[] = {\n";
        for (auto& [name, node] : c.properties) out << "    {" << intern(name) << ", " << node << "},\n";
        if (c.properties.empty()) out << "    {0, 0},\n";
        out << "};\n\nconst uint16_t names[] = {\n";
        for (auto& name : c.names) out << "    " << intern(name) << ",  // " << name << "\n";
        if (c.names.empty()) out << "    0,\n";
        out << "};\n\nconst char pool[] =\n";
        for (size_t at = 0; at < pool.size();) {
            size_t end = pool.find('\0', at);
            out << "    " << c_literal(pool.substr(at, end - at)) << " \"\\0\"\n";
            at = end + 1;
        }
        out << "    \"\";\n\n}  // namespace rrun::schema\n";
        std::ofstream(argv[2]) << out.str();
    } catch (const std::exception& e) {
        std::cerr << argv[1] << ": " << e.what() << "\n";
        return 1;
    }
    return 0;
}
