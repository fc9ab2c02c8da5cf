import Foundation
import HTTPTypes
import Hummingbird

/// The answer for a member that was merged into another: a redirect to the same path under
/// the survivor, with `{"id", "merged_into"}` for clients that do not follow redirects.
struct MemberMoved: HTTPResponseError {
    let location: String
    let absorbed: String
    let survivor: UUID
    /// 301 for reads; 308 keeps the method and body of a write.
    let status: HTTPResponse.Status

    init(request: Request, from absorbed: String, to survivor: UUID) {
        self.absorbed = absorbed.lowercased()
        self.survivor = survivor
        self.location =
            request.uri.path.replacingOccurrences(of: absorbed, with: survivor.uuidString.lowercased())
            + (request.uri.query.map { "?" + $0 } ?? "")
        self.status = request.method == .get ? .movedPermanently : .permanentRedirect
    }

    var headers: HTTPFields {
        [.location: location, .contentType: "application/json; charset=utf-8"]
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = #"{"id":"\#(absorbed)","merged_into":"\#(survivor.uuidString.lowercased())"}"#
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
