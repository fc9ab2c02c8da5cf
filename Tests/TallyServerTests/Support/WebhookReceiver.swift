import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// What a webhook receiver got: one POST.
struct ReceivedWebhook: Sendable {
    let at: ContinuousClock.Instant
    let event: String?
    let delivery: String?
    let timestamp: String?
    let signature: String?
    let body: Data

    /// The payload, `{"id", "type", "created_at", "data"}`.
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }

    /// Whether `X-Tally-Signature` is HMAC-SHA256 of "<timestamp>.<body>" under `secretHex`, as a receiver checks it.
    func isSigned(by secretHex: String) -> Bool {
        guard let timestamp, let signature, let key = Data(hex: secretHex) else { return false }
        let expected = HMAC<SHA256>.authenticationCode(for: Data((timestamp + ".").utf8) + body, using: SymmetricKey(data: key))
        return signature == "sha256=" + expected.map { String(format: "%02x", $0) }.joined()
    }
}

/// A receiver's behaviour and record: it answers the statuses in `script` in turn (0: no
/// answer for `hang`), then `thereafter`.
actor WebhookInbox {
    private(set) var received: [ReceivedWebhook] = []
    private var script: [Int]
    private var thereafter: Int
    let hang: Duration

    init(script: [Int], thereafter: Int, hang: Duration) {
        self.script = script
        self.thereafter = thereafter
        self.hang = hang
    }

    /// Records a request; returns the status to answer (0: do not answer in time).
    func take(_ request: ReceivedWebhook) -> Int {
        received.append(request)
        return script.isEmpty ? thereafter : script.removeFirst()
    }

    /// From now on, answer `status` to everything.
    func answer(_ status: Int) {
        script = []
        thereafter = status
    }

    /// Waits until `count` requests have come (fails after `timeout`); returns them all.
    @discardableResult
    func waitFor(_ count: Int, timeout: Duration = .seconds(15)) async throws -> [ReceivedWebhook] {
        let deadline = ContinuousClock.now + timeout
        while received.count < count {
            guard ContinuousClock.now < deadline else {
                Issue.record("waited \(timeout) for \(count) webhook requests; got \(received.count)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return received
    }
}

/// Runs `body` with a webhook receiver listening on loopback at `url`.
func withWebhookReceiver(
    script: [Int] = [],
    thereafter: Int = 200,
    hang: Duration = .seconds(2),
    _ body: @Sendable (_ url: String, _ inbox: WebhookInbox) async throws -> Void
) async throws {
    let inbox = WebhookInbox(script: script, thereafter: thereafter, hang: hang)
    let router = Router()
    router.post("/hooks") { request, _ -> Response in
        func header(_ name: String) -> String? { request.headers[HTTPField.Name(name)!] }
        let bytes = Data(Array(buffer: try await request.body.collect(upTo: 1 << 20)))
        let status = await inbox.take(
            ReceivedWebhook(
                at: .now, event: header("X-Tally-Event"), delivery: header("X-Tally-Delivery"),
                timestamp: header("X-Tally-Timestamp"), signature: header("X-Tally-Signature"), body: bytes
            ))
        if status == 0 { try await Task.sleep(for: inbox.hang) }
        return Response(
            status: .init(code: status == 0 ? 200 : status), body: .init(byteBuffer: ByteBuffer(string: "receiver says \(status)")))
    }
    let receiver = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
    try await receiver.test(.live) { client in
        try await body("http://127.0.0.1:\(client.port!)/hooks", inbox)
    }
}

extension Data {
    /// Bytes from hex digits, or nil.
    init?(hex: String) {
        guard hex.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}
