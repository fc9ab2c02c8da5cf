import Foundation
import Hummingbird
import TallyCore

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
    /// The query parameter `name` as an integer within `range`, or a 400 `invalid`.
    func integer(_ name: String, in range: ClosedRange<Int64>, invalid: ErrorCode) throws -> Int64? {
        guard let text = uri.queryParameters[Substring(name)] else { return nil }
        guard let value = Int64(text), range.contains(value) else {
            throw APIError.badRequest(invalid, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}

extension Parameters {
    /// A path parameter that must be a positive integer id of a `what`; otherwise a 404
    /// `notFound`, since no such resource exists.
    func id(_ name: String, what: String, notFound: ErrorCode) throws -> Int64 {
        guard let text = get(name), let value = Int64(text), value > 0 else {
            throw APIError(.notFound, notFound, "no \(what) \(get(name) ?? "")")
        }
        return value
    }
}
