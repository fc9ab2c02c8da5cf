import Foundation
import Hummingbird

extension Response {
    /// A JSON response encoded the way the API writes JSON (snake_case keys, ISO 8601 dates).
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, context: AppRequestContext) throws -> Response {
        let data = try context.responseEncoder.encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

/// A page of results with the cursor for the next one (nil on the last page).
struct Page<Item: Encodable>: Encodable {
    let items: [Item]
    let nextCursor: String?
}

extension Request {
    /// A query parameter as an integer within `range`, or a 400 naming the parameter.
    func integer(_ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let text = uri.queryParameters[Substring(name)] else { return nil }
        guard let value = Int64(text), range.contains(value) else {
            throw APIError.badRequest("invalid_\(name)", "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}

extension Parameters {
    /// A path parameter that must be a positive integer id; otherwise 404, since no such resource exists.
    func id(_ name: String, what: String) throws -> Int64 {
        guard let text = get(name), let value = Int64(text), value > 0 else {
            throw APIError(.notFound, "\(what)_not_found", "no \(what) \(get(name) ?? "")")
        }
        return value
    }
}
