import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import TallyCore

/// Delivers one-time sign-in codes.
protocol CodeSender: Sendable {
    func send(code: String, to phone: PhoneNumber, expiresAt: Date, logger: Logger) async throws
}

/// Development: the code appears in the server log.
struct LogCodeSender: CodeSender {
    func send(code: String, to phone: PhoneNumber, expiresAt: Date, logger: Logger) async throws {
        logger.notice("sign-in code (log delivery, development only)", metadata: ["phone": "\(phone.e164)", "code": "\(code)"])
    }
}

/// Production: POSTs `{"phone", "code", "expires_at"}` to the brand's SMS gateway with
/// `X-Tally-Timestamp` and `X-Tally-Signature` (see `WebhookSignature`), so the gateway can
/// check the request came from Tally and is fresh.
struct WebhookCodeSender: CodeSender {
    /// How long the gateway has to answer.
    static let timeout: Duration = .seconds(5)

    let url: String
    let secret: SymmetricKey

    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    func send(code: String, to phone: PhoneNumber, expiresAt: Date, logger: Logger) async throws {
        let body = try JSONSerialization.data(
            withJSONObject: ["phone": phone.e164, "code": code, "expires_at": ISO8601DateFormatter().string(from: expiresAt)],
            options: [.sortedKeys]
        )
        let timestamp = WebhookSignature.timestamp()
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: WebhookSignature.timestampHeader, value: timestamp)
        request.headers.add(
            name: WebhookSignature.signatureHeader, value: WebhookSignature.header(secret: secret, timestamp: timestamp, body: body))
        request.body = .bytes(ByteBuffer(data: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(Int64(Self.timeout.components.seconds)))
        guard (200..<300).contains(response.status.code) else {
            throw Failed(description: "SMS gateway answered \(response.status.code)")
        }
    }
}
