import Foundation
import Yams

/// A JSON value, for checking response bodies against the contract's schemas: read from a
/// body with `JSONDecoder` (which keeps `true` apart from `1`), and from the contract's YAML
/// nodes by their resolved tags (so `'true'` stays a string).
indirect enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// The value of a YAML node of the contract.
    init(_ node: Node) {
        switch node {
        case .scalar(let scalar):
            let tag = Tag.Name(rawValue: node.tag.description)
            if tag == .null {
                self = .null
            } else if tag == .bool, let value = node.bool {
                self = .bool(value)
            } else if tag == .int, let value = node.int {
                self = .integer(Int64(value))
            } else if tag == .float, let value = node.float {
                self = .number(value)
            } else {
                self = .string(scalar.string)
            }
        case .sequence(let items):
            self = .array(items.map(JSONValue.init))
        case .mapping(let pairs):
            var object: [String: JSONValue] = [:]
            for (key, value) in pairs {
                object[key.string ?? ""] = JSONValue(value)
            }
            self = .object(object)
        }
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var object: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    var array: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The numeric value of an integer or a number.
    var double: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }

    /// Equality as JSON Schema's `const` and `enum` see it: 1 and 1.0 are the same number.
    func sameJSON(as other: JSONValue) -> Bool {
        if let a = double, let b = other.double { return a == b }
        switch (self, other) {
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.sameJSON(as: $1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { value.sameJSON(as: $0) } ?? false }
        default:
            return self == other
        }
    }

    /// A short rendering for failure messages.
    var brief: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return "\(value)"
        case .integer(let value): return "\(value)"
        case .number(let value): return "\(value)"
        case .string(let value): return value.count > 60 ? "\"\(value.prefix(60))…\"" : "\"\(value)\""
        case .array(let items): return "an array of \(items.count)"
        case .object(let object): return "an object with keys \(object.keys.sorted())"
        }
    }
}
