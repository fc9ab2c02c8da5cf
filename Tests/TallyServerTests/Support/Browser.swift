import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// A page as the browser received it.
struct Page: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: ByteBuffer
}

/// A consumer's browser against the test server: keeps cookies, sends forms, reads pages.
///
/// Each request goes on a connection of its own, as separate phones' would: requests sent
/// through the shared test client queue on one connection and never meet in the database.
struct Browser {
    let port: Int
    var cookies: [String: String] = [:]
    var acceptLanguage = "zh-CN,zh;q=0.9"
    /// The `Origin` a browser sends with a form from the page it is on (it asks for the server
    /// as `localhost`); nil: none, as some privacy settings do.
    var origin: String? = "http://localhost"
    /// A `Referer` to send with forms (our pages' policy, same-origin, sends one to us).
    var referer: String?

    init(_ app: TestApp, language: String = "zh-CN,zh;q=0.9") {
        port = app.client.port!
        acceptLanguage = language
    }

    mutating func get(_ uri: String) async throws -> Page {
        try await send(.get, uri, body: nil)
    }

    /// Posts a form (`application/x-www-form-urlencoded`).
    mutating func post(_ uri: String, form: [String: String]) async throws -> Page {
        let body = form.map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)"
        }.joined(separator: "&")
        return try await send(.post, uri, body: body)
    }

    private mutating func send(_ method: HTTPRequest.Method, _ uri: String, body: String?) async throws -> Page {
        var headers: HTTPFields = [.acceptLanguage: acceptLanguage, .connection: "close"]
        if !cookies.isEmpty {
            headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")
        }
        if body != nil { headers[.contentType] = "application/x-www-form-urlencoded" }
        if method == .post {
            if let origin { headers[.origin] = origin }
            if let referer { headers[.referer] = referer }
        }
        let request = TestClient.Request(
            uri, method: method, authority: "localhost", headers: headers, body: body.map { ByteBuffer(string: $0) })
        let response = try await TestClient.executeAlone(request, port: port)
        for setCookie in response.headers[values: .setCookie] {
            let pair = setCookie.split(separator: ";").first!.split(separator: "=", maxSplits: 1)
            let name = String(pair[0])
            let value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || setCookie.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        return Page(status: response.status, headers: response.headers, body: response.body ?? ByteBuffer())
    }

    /// The CSRF token this browser's forms carry now (bound to its session, or to its visitor
    /// cookie when signed out), read from /me, which has a form either way.
    mutating func formToken() async throws -> String {
        let page = try await get("/me")
        return try #require(Self.csrf(in: page), "no form on /me")
    }

    /// The CSRF token the page's forms carry.
    static func csrf(in page: Page) -> String? {
        let html = String(buffer: page.body)
        guard let range = html.range(of: #"name="csrf" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix(while: { $0 != "\"" }))
    }

    /// The page's main heading.
    static func heading(_ page: Page) -> String {
        let html = String(buffer: page.body)
        guard let start = html.range(of: "<h1>"), let end = html.range(of: "</h1>", range: start.upperBound..<html.endIndex) else {
            return ""
        }
        return String(html[start.upperBound..<end.lowerBound])
    }
}

/// A stand-in for the brand's SMS gateway: receives Tally's signed webhook, checks the
/// signature, and keeps the codes for the test to read.
actor SMSInbox {
    private(set) var messages: [(phone: String, code: String)] = []
    private(set) var badSignatures = 0
    /// While down, the gateway answers 503 and delivers nothing.
    private(set) var isDown = false
    private(set) var refused = 0

    func setDown(_ down: Bool) { isDown = down }
    /// Counts a request refused while down; true if the gateway is down.
    func refuseIfDown() -> Bool {
        if isDown { refused += 1 }
        return isDown
    }

    func receive(phone: String, code: String) { messages.append((phone, code)) }
    func rejected() { badSignatures += 1 }
    func lastCode(for phone: String) -> String? { messages.last { $0.phone == phone }?.code }
}

func withSMSGateway(secret: String, _ body: @Sendable (_ url: String, _ inbox: SMSInbox) async throws -> Void) async throws {
    let inbox = SMSInbox()
    let router = Router()
    router.post("/sms") { request, _ -> HTTPResponse.Status in
        if await inbox.refuseIfDown() { return .serviceUnavailable }
        let bytes = Data(Array(buffer: try await request.body.collect(upTo: 4096)))
        let timestamp = request.headers[HTTPField.Name("X-Tally-Timestamp")!] ?? ""
        let signature = request.headers[HTTPField.Name("X-Tally-Signature")!] ?? ""
        guard signature == "sha256=" + hmacHex(secret: secret, message: Data((timestamp + ".").utf8) + bytes) else {
            await inbox.rejected()
            return .unauthorized
        }
        let json = try JSONSerialization.jsonObject(with: bytes) as! [String: String]
        await inbox.receive(phone: json["phone"]!, code: json["code"]!)
        return .ok
    }
    let gateway = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
    try await gateway.test(.live) { client in
        try await body("http://127.0.0.1:\(client.port!)/sms", inbox)
    }
}

func hmacHex(secret: String, message: Data) -> String {
    HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        .map { String(format: "%02x", $0) }.joined()
}
