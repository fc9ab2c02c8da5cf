import Foundation
import HTTPTypes
import Hummingbird
import TallyCore

/// Where the API reads what a request sends besides its path: query parameters, the
/// Idempotency-Key header and the JSON body (decoded by `APIRequestDecoder`). Each is checked
/// here, in one place, before anything reaches the database.
extension Request {
    /// The query parameter `name` as text, or a 400 `invalid` (422 with `status`, for the
    /// parameters whose other refusals are 422s) if it holds a control character: PostgreSQL
    /// cannot store a NUL, and no parameter has a use for the others.
    func query(_ name: String, invalid: ErrorCode, status: HTTPResponse.Status = .badRequest) throws -> String? {
        guard let text = uri.queryParameters[Substring(name)] else { return nil }
        guard !TextRules.hasControlCharacters(text) else { throw APIError(status, invalid, "\(name) contains control characters") }
        return String(text)
    }

    /// The query parameter `name`, which names a SKU (`SKU`), or a 400 `invalid`: text that
    /// breaks the SKU rule names no product or reward.
    func sku(_ name: String, invalid: ErrorCode) throws -> String? {
        guard let text = try query(name, invalid: invalid) else { return nil }
        guard SKU.isValid(text) else { throw APIError.badRequest(invalid, "\(name) is a SKU: \(SKU.rule)") }
        return text
    }

    /// The query parameter `name` as an integer within `range`, or a 400 `invalid`.
    func integer(_ name: String, in range: ClosedRange<Int64>, invalid: ErrorCode) throws -> Int64? {
        guard let text = try query(name, invalid: invalid) else { return nil }
        guard let value = Int64(text), range.contains(value) else {
            throw APIError.badRequest(invalid, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// The Idempotency-Key of a keyed write, checked (`IdempotencyStore.check`): 1 to 200
    /// visible ASCII characters, so that two different keys are never read as one (bytes that
    /// are not UTF-8 arrive as U+FFFD, control characters as spaces). A missing or empty header
    /// is a 400 `missing_idempotency_key` when `what` needs one; nil when it is optional.
    func idempotencyKey(requiredFor what: String?) throws -> String? {
        let values = headers[values: .idempotencyKey]
        guard values.count <= 1 else {
            throw APIError(.unprocessableContent, .invalidIdempotencyKey, "send one Idempotency-Key, not \(values.count)")
        }
        if let what, values.first?.isEmpty ?? true {
            throw APIError.badRequest(.missingIdempotencyKey, "\(what) needs an Idempotency-Key header (e.g. a UUID)")
        }
        guard let key = values.first else { return nil }
        try IdempotencyStore.check(key: key)
        return key
    }

    /// The body of a request that sends JSON, at most `limit` bytes: 415 if it says it is
    /// something else. An empty body passes (some operations take none).
    func jsonBody(upTo limit: Int) async throws -> [UInt8] {
        let bytes = Array(buffer: try await body.collect(upTo: limit))
        if !bytes.isEmpty, let type = headers[.contentType], !Self.isJSON(type) {
            throw APIError(.unsupportedMediaType, .unsupportedMediaType, "send JSON (Content-Type: application/json), not \(type)")
        }
        return bytes
    }

    /// Whether a Content-Type names JSON: `application/json` or an `application/…+json` type.
    static func isJSON(_ contentType: String) -> Bool {
        let media = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return media == "application/json" || (media.hasPrefix("application/") && media.hasSuffix("+json"))
    }
}

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
    /// Set on a response that repeats the stored answer to an earlier request with the same key.
    static let idempotentReplayed = Self("Idempotent-Replayed")!
}
