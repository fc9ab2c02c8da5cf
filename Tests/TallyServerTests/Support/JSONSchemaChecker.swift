import Foundation

/// Checks a JSON value against a schema of the contract: the subset of JSON Schema 2020-12
/// (OpenAPI 3.1) that `openapi.yaml` uses. A keyword it does not know is reported as a
/// mismatch rather than skipped, so the document cannot outgrow the checker unnoticed.
///
/// Objects are closed: a response may carry only properties its schema names (through
/// `properties` of the schema and of the `allOf`/`anyOf`/`oneOf` branches it matches), unless
/// the schema has `additionalProperties`. That is `unevaluatedProperties: false` everywhere,
/// which catches a field added to a type but not to the contract.
struct JSONSchemaChecker: Sendable {
    /// The whole document, for `$ref`s.
    let document: JSONValue

    struct Mismatch: Sendable, CustomStringConvertible {
        /// Where in the value, e.g. `$.items[0].created_at`.
        let path: String
        let message: String
        var description: String { "\(path): \(message)" }
    }

    func check(_ value: JSONValue, against schema: JSONValue) -> [Mismatch] {
        checkClosed(value, schema, at: "$")
    }

    /// The node a local reference (`#/components/schemas/Product`) points to.
    func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: JSONValue? = document
        for token in reference.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if let index = Int(key), let items = node?.array {
                node = items.indices.contains(index) ? items[index] : nil
            } else {
                node = node?[key]
            }
        }
        return node
    }

    // MARK: Evaluation

    /// What checking a value against a schema found, and which of its properties the schema named.
    private struct Outcome {
        var mismatches: [Mismatch] = []
        var evaluated: Set<String> = []
        /// Whether the schema (or a branch it matched) has `properties`: only then is the object closed.
        var declaresProperties = false

        mutating func absorb(_ other: Outcome) {
            mismatches += other.mismatches
            evaluated.formUnion(other.evaluated)
            declaresProperties = declaresProperties || other.declaresProperties
        }
    }

    /// Keywords that only describe: they never make a value wrong.
    private static let annotations: Set<String> = [
        "description", "summary", "title", "example", "examples", "default", "deprecated", "readOnly",
        "writeOnly", "contentMediaType", "contentEncoding", "$comment",
    ]
    private static let keywords: Set<String> = [
        "$ref", "type", "enum", "const", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "minLength", "maxLength", "pattern", "items", "minItems", "maxItems", "uniqueItems", "properties",
        "required", "additionalProperties", "allOf", "anyOf", "oneOf", "not",
    ]

    /// Checks `value` where it stands on its own (the body, a property, an item): the place
    /// where undocumented properties are found.
    private func checkClosed(_ value: JSONValue, _ schema: JSONValue, at path: String) -> [Mismatch] {
        let outcome = evaluate(value, schema, at: path)
        var mismatches = outcome.mismatches
        if outcome.declaresProperties, let object = value.object {
            for key in object.keys.sorted() where !outcome.evaluated.contains(key) {
                mismatches.append(Mismatch(path: "\(path).\(key)", message: "a property the contract does not document"))
            }
        }
        return mismatches
    }

    private func evaluate(_ value: JSONValue, _ schema: JSONValue, at path: String) -> Outcome {
        var outcome = Outcome()
        func fail(_ message: String) { outcome.mismatches.append(Mismatch(path: path, message: message)) }

        if case .bool(let allowed) = schema {
            if !allowed { fail("no value is allowed here") }
            return outcome
        }
        guard let keywords = schema.object else {
            fail("the schema is not an object: \(schema.brief)")
            return outcome
        }
        for keyword in keywords.keys
        where !Self.keywords.contains(keyword) && !Self.annotations.contains(keyword) && !keyword.hasPrefix("x-") {
            fail("the schema keyword \(keyword) is not supported by JSONSchemaChecker")
        }

        if let reference = keywords["$ref"]?.string {
            if let target = resolve(reference) {
                outcome.absorb(evaluate(value, target, at: path))
            } else {
                fail("$ref \(reference) does not resolve")
            }
        }
        if let type = keywords["type"] {
            let types = type.array?.compactMap(\.string) ?? [type.string].compactMap { $0 }
            if !types.contains(where: { Self.value(value, hasType: $0) }) {
                fail("expected \(types.joined(separator: " or ")), found \(value.brief)")
                return outcome // the other keywords would only repeat it
            }
        }
        if let options = keywords["enum"]?.array, !options.contains(where: { value.sameJSON(as: $0) }) {
            fail("\(value.brief) is not one of \(options.map(\.brief))")
        }
        if let constant = keywords["const"], !value.sameJSON(as: constant) {
            fail("expected the constant \(constant.brief), found \(value.brief)")
        }

        if case .string(let text) = value {
            checkString(text, keywords, fail: fail)
        }
        if let number = value.double {
            checkNumber(number, value, keywords, fail: fail)
        }
        if case .array(let items) = value {
            if let minimum = keywords["minItems"]?.double, Double(items.count) < minimum {
                fail("\(items.count) items, fewer than \(Int(minimum))")
            }
            if let maximum = keywords["maxItems"]?.double, Double(items.count) > maximum {
                fail("\(items.count) items, more than \(Int(maximum))")
            }
            if keywords["uniqueItems"] == .bool(true) {
                for (i, item) in items.enumerated() where items[..<i].contains(where: { $0.sameJSON(as: item) }) {
                    fail("item \(i) repeats an earlier item")
                }
            }
            if let itemSchema = keywords["items"] {
                for (i, item) in items.enumerated() {
                    outcome.mismatches += checkClosed(item, itemSchema, at: "\(path)[\(i)]")
                }
            }
        }
        if case .object(let object) = value {
            if let required = keywords["required"]?.array?.compactMap(\.string) {
                for key in required where object[key] == nil {
                    fail("the required property \(key) is missing")
                }
            }
            if let properties = keywords["properties"]?.object {
                outcome.declaresProperties = true
                for (key, propertySchema) in properties {
                    guard let property = object[key] else { continue }
                    outcome.evaluated.insert(key)
                    outcome.mismatches += checkClosed(property, propertySchema, at: "\(path).\(key)")
                }
            }
            if let additional = keywords["additionalProperties"] {
                let named = Set(keywords["properties"]?.object?.keys.map { $0 } ?? [])
                for key in object.keys.sorted() where !named.contains(key) {
                    outcome.evaluated.insert(key)
                    outcome.mismatches += checkClosed(object[key]!, additional, at: "\(path).\(key)")
                }
            }
        }

        if let branches = keywords["allOf"]?.array {
            for branch in branches { outcome.absorb(evaluate(value, branch, at: path)) }
        }
        if let branches = keywords["anyOf"]?.array {
            let outcomes = branches.map { evaluate(value, $0, at: path) }
            let matched = outcomes.filter(\.mismatches.isEmpty)
            if matched.isEmpty {
                fail("matches none of the \(branches.count) schemas of anyOf: \(outcomes.map { $0.mismatches.first?.description ?? "" })")
            }
            for branch in matched { outcome.absorb(branch) }
        }
        if let branches = keywords["oneOf"]?.array {
            let outcomes = branches.map { evaluate(value, $0, at: path) }
            let matched = outcomes.filter(\.mismatches.isEmpty)
            if matched.count != 1 {
                fail(
                    "matches \(matched.count) of the \(branches.count) schemas of oneOf, not exactly one: \(outcomes.map { $0.mismatches.first?.description ?? "matches" })"
                )
            }
            for branch in matched { outcome.absorb(branch) }
        }
        if let negated = keywords["not"], evaluate(value, negated, at: path).mismatches.isEmpty {
            fail("\(value.brief) matches the schema under not")
        }
        return outcome
    }

    private static func value(_ value: JSONValue, hasType type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("integer", .integer), ("number", .integer), ("number", .number): true
        case ("integer", .number(let number)): number.rounded() == number
        default: false
        }
    }

    private func checkString(_ text: String, _ keywords: [String: JSONValue], fail: (String) -> Void) {
        // JSON Schema counts characters as code points.
        let length = text.unicodeScalars.count
        if let minimum = keywords["minLength"]?.double, Double(length) < minimum {
            fail("\(length) characters, fewer than \(Int(minimum))")
        }
        if let maximum = keywords["maxLength"]?.double, Double(length) > maximum { fail("\(length) characters, more than \(Int(maximum))") }
        if var pattern = keywords["pattern"]?.string {
            // JSON Schema patterns are ECMA 262 regular expressions, whose `$` matches only at the
            // end of the text; ICU's also matches before a line break that ends it.
            if pattern.hasSuffix("$") && !pattern.hasSuffix("\\$") { pattern = String(pattern.dropLast()) + "\\z" }
            if let regex = try? NSRegularExpression(pattern: pattern) {
                if regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                    fail("\"\(text)\" does not match the pattern \(pattern)")
                }
            } else {
                fail("the pattern \(pattern) is not a regular expression")
            }
        }
        if let format = keywords["format"]?.string, let problem = Self.formatProblem(text, format) {
            fail(problem)
        }
    }

    private func checkNumber(_ number: Double, _ value: JSONValue, _ keywords: [String: JSONValue], fail: (String) -> Void) {
        if let minimum = keywords["minimum"]?.double, number < minimum { fail("\(value.brief) is below the minimum \(minimum)") }
        if let maximum = keywords["maximum"]?.double, number > maximum { fail("\(value.brief) is above the maximum \(maximum)") }
        if let bound = keywords["exclusiveMinimum"]?.double, number <= bound { fail("\(value.brief) is not above \(bound)") }
        if let bound = keywords["exclusiveMaximum"]?.double, number >= bound { fail("\(value.brief) is not below \(bound)") }
        if keywords["format"]?.string == "int32", number < Double(Int32.min) || number > Double(Int32.max) {
            fail("\(value.brief) does not fit int32")
        }
    }

    // MARK: Formats

    /// Why `text` is not of `format`, or nil if it is (or the format only describes).
    static func formatProblem(_ text: String, _ format: String) -> String? {
        switch format {
        case "date-time":
            return isDateTime(text) ? nil : "\"\(text)\" is not an RFC 3339 date-time"
        case "date":
            return isDate(text) ? nil : "\"\(text)\" is not a date (YYYY-MM-DD)"
        case "uuid":
            return text.count == 36 && UUID(uuidString: text) != nil ? nil : "\"\(text)\" is not a UUID"
        case "uri":
            guard let url = URL(string: text), let scheme = url.scheme, !scheme.isEmpty else { return "\"\(text)\" is not an absolute URI" }
            return nil
        default:
            return nil // int64 and the like: the type and bounds say it all
        }
    }

    private static func isDate(_ text: String) -> Bool {
        guard text.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}/) != nil else { return false }
        let parts = text.split(separator: "-").compactMap { Int($0) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: parts[0], month: parts[1], day: parts[2])
        return components.isValidDate(in: calendar)
    }

    private static func isDateTime(_ text: String) -> Bool {
        let shape = /[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})/
        guard text.wholeMatch(of: shape) != nil, isDate(String(text.prefix(10))) else { return false }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return formatter.date(from: text) != nil
    }
}
