import Foundation
import HTTPTypes
import Hummingbird
import TallyCore

/// How the JSON API reads request bodies, in one place for every operation:
///
/// - a body with a `Content-Type` must be JSON (`application/json` or `…+json`), else 415
///   `unsupported_media_type`; a body without one is read as JSON;
/// - snake_case keys;
/// - date-times are RFC 3339 (`RFC3339`): an impossible one (`2024-02-30T25:00:00Z`) is refused,
///   not rolled over;
/// - `null` only in the fields the type declares nullable (`NullableJSONFields`): anywhere
///   else it is refused with 400 `invalid_json`, never read as a field left out.
public struct APIRequestDecoder: RequestDecoder, Sendable {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        try decode(type, from: try await request.jsonBody(upTo: context.maxUploadSize))
    }

    /// `bytes` (a JSON body, as read by `Request.jsonBody(upTo:)`) as a `T`.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try decode(type, from: Data(bytes))
    }

    public func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let value = try Self.jsonDecoder.decode(type, from: data)
        // A body without the bytes `null` holds no null: most bodies skip the second reading.
        if data.firstRange(of: Self.null) != nil, let json = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) {
            let nullable = (type as? any NullableJSONFields.Type)?.nullableJSONFields ?? []
            if let path = Self.refusedNull(in: json, of: value, nullable: nullable, at: []) {
                throw APIError.badRequest(.invalidJSON, "\(path) cannot be null: leave it out instead")
            }
        }
        return value
    }

    private static let null = Data("null".utf8)

    /// Made once: a JSONDecoder is safe to share, and making one per body has a cost.
    private static let jsonDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .rfc3339
        return decoder
    }()

    /// The path (`phone`, `tiers.0.name`) of the first `null` in `json` that stands in a field
    /// `value` (what `json` was decoded into) has, is optional, and is not in `nullable`; nil when
    /// there is none. JSONDecoder itself refuses `null` in a required field, and JSON keys of no
    /// field are ignored whatever they hold. Fields are matched to keys by name, ignoring case
    /// and underscores (`image_url` is `imageURL`), and found with `Mirror`: no type lists its
    /// fields twice. Only top-level fields may be nullable.
    static func refusedNull(in json: Any, of value: Any, nullable: Set<String>, at path: [String]) -> String? {
        if let items = json as? [Any] {
            let values = Mirror(reflecting: value).children.map(\.value)
            for (index, (item, element)) in zip(items, values).enumerated() {
                if let found = refusedNull(in: item, of: unwrapped(element) ?? element, nullable: [], at: path + [String(index)]) {
                    return found
                }
            }
            return nil
        }
        guard let object = json as? [String: Any] else { return nil }
        var fields: [String: Any] = [:]
        for child in Mirror(reflecting: value).children {
            if let label = child.label { fields[normalised(label)] = child.value }
        }
        for key in object.keys.sorted() {
            guard let field = fields[normalised(key)] else { continue }
            if object[key] is NSNull {
                guard path.isEmpty, nullable.contains(key) else { return (path + [key]).joined(separator: ".") }
            } else if let inner = unwrapped(field), let found = refusedNull(in: object[key]!, of: inner, nullable: [], at: path + [key]) {
                return found
            }
        }
        return nil
    }

    /// The value inside an `Optional` or an `OptionalJSONField` (nil if none), or `value` itself.
    private static func unwrapped(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional || value is any OptionalJSONField { return mirror.children.first?.value }
        return value
    }

    private static func normalised(_ name: String) -> String {
        name.lowercased().replacingOccurrences(of: "_", with: "")
    }
}
