import HTTPTypes
import Hummingbird

/// Returns the request id (the one in every log line of the request) as `X-Request-Id`,
/// so a client's bug report can be matched to the server's logs.
struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            response.headers[.xRequestID] = context.id
            return response
        } catch let error as any HTTPResponseError {
            var response = try error.response(from: request, context: context)
            response.headers[.xRequestID] = context.id
            return response
        }
    }
}

extension HTTPField.Name {
    static let xRequestID = Self("X-Request-Id")!
}
