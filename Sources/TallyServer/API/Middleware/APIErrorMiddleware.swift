import Foundation
import Hummingbird
import Logging
import NIOCore
import TallyCore

/// Turns every error on an API route into the JSON error shape: domain refusals, Hummingbird's
/// own errors (unknown route, body too large, undecodable JSON), the database's going away
/// (a 503, never a 500), and unexpected failures, which are logged with the request id and
/// answered with a 500 that reveals nothing.
struct APIErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let moved as MemberMoved {
            throw moved
        } catch let error as StoreError {
            throw APIError(error)
        } catch is APIKeyRejected {
            throw APIError.unauthorized
        } catch let error as DecodingError {
            throw APIError.badRequest(.invalidJSON, Self.describe(error))
        } catch let error as HTTPError {
            throw Self.translate(error) ?? Self.unexpected(error, context: context)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, .bodyTooLarge, "the request body is larger than 64 KiB")
        } catch let error where error.isDatabaseUnavailability {
            // PostgreSQL went away: a 503 that says whether the write may have been made.
            context.logger.warning("database unavailable", metadata: ["error": "\(error.databaseDescription)"])
            throw APIError(CommitGate.unavailability(for: error) ?? .databaseUnavailable)
        } catch {
            throw Self.unexpected(error, context: context)
        }
    }

    /// The 500 for an error the server has no answer for (a bug), logged with the request id.
    static func unexpected(_ error: any Error, context: Context) -> APIError {
        context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
        return APIError(.internalServerError, .internal, "something went wrong on our side (request \(context.id))")
    }

    /// The API error for one of Hummingbird's; nil for a status it is not known to throw
    /// (Hummingbird 2 throws 400 and 404 on API routes).
    static func translate(_ error: HTTPError) -> APIError? {
        switch error.status {
        case .notFound: APIError(.notFound, .notFound, error.body ?? "no such resource")
        case .contentTooLarge: APIError(.contentTooLarge, .bodyTooLarge, "the request body is larger than 64 KiB")
        // Hummingbird reports JSON it cannot decode as a 400.
        case .badRequest: APIError(.badRequest, .invalidJSON, error.body ?? "the body is not the JSON expected")
        case .unsupportedMediaType: APIError(.unsupportedMediaType, .unsupportedMediaType, "send JSON (Content-Type: application/json)")
        default: nil
        }
    }

    /// A decoding error in words a client developer can act on.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? snakeCase($0.stringValue) }
            return keys.isEmpty ? "the body" : keys.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, _): return "\(snakeCase(key.stringValue)) is required"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(path(context)) has the wrong type"
        case .dataCorrupted(let context): return context.codingPath.isEmpty ? "the body is not valid JSON" : "\(path(context)) is invalid"
        @unknown default: return "the body could not be read"
        }
    }

    static func snakeCase(_ key: String) -> String {
        key.reduce(into: "") { out, c in
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
    }
}
