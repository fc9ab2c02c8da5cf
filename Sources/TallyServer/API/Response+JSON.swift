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
