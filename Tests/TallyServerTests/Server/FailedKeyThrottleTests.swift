import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TallyCore
import TallyServer
import TallyTestSupport
import Testing

/// Wrong API keys are throttled per client address: after the allowed failures an address gets
/// 429 `too_many_failed_keys` with `Retry-After` before its key is looked at, and nothing
/// changes; another address, with a right key or a wrong one, is not affected.
@Suite("Throttling wrong API keys over real HTTP")
struct FailedKeyThrottleTests {
    static let wrongKey = "tly_AAAAAAAA_" + String(repeating: "A", count: 43) // well-formed, never issued
    static let product = #"{"sku": "SOAP-1", "name": "Soap", "default_points": 5}"#

    @Test("after 5 wrong keys an address gets 429 with Retry-After, even with a right key; another address does not")
    func throttledPerAddress() async throws {
        try await TestApp.run(configure: { $0.failedKeys = .init(failures: 5, window: .seconds(60)) }) { app in
            let wrong: HTTPFields = [.authorization: "Bearer \(Self.wrongKey)", .contentType: "application/json"]
            for attempt in 1...5 {
                let response = try await app.client.execute(
                    uri: "/api/v1/products", method: .post, headers: wrong, body: ByteBuffer(string: Self.product))
                #expect(response.status == .unauthorized, "wrong key \(attempt): \(response.status)")
                #expect(try errorCode(response) == "unauthorized")
            }
            // A malformed header counts as much as a wrong key: the 6th of either is refused unread.
            for headers in [wrong, [.authorization: "Basic dGFsbHk6dGFsbHk=", .contentType: "application/json"]] {
                let response = try await app.client.execute(
                    uri: "/api/v1/products", method: .post, headers: headers, body: ByteBuffer(string: Self.product))
                #expect(response.status == .tooManyRequests)
                #expect(try errorCode(response) == "too_many_failed_keys")
                // One try comes back every 60 / 5 = 12 s.
                let wait = try #require(response.headers[.retryAfter].flatMap { Int($0) }, "no Retry-After")
                #expect((11...12).contains(wait), "Retry-After \(wait)")
            }
            // The right admin key from the same address is refused before it is looked at, on
            // every kind of route, and creates nothing.
            let right = try await app.request(.post, "/api/v1/products", as: .admin, json: Self.product)
            #expect(right.status == .tooManyRequests)
            #expect(try errorCode(right) == "too_many_failed_keys")
            let claim = try await app.request(
                .post, "/api/v1/claims", as: .claim, json: #"{"code": "x", "phone": "+8613800138000"}"#,
                headers: [ClaimAPITests.idempotencyKey: "throttled"])
            #expect(claim.status == .tooManyRequests)
            #expect(try errorCode(claim) == "too_many_failed_keys")
            let unknownRoute = try await app.request(.get, "/api/v1/nowhere", as: .admin)
            #expect(unknownRoute.status == .tooManyRequests)
            #expect(try await app.count("products") == 0)
            #expect(try await app.count("idempotency_keys") == 0)

            // Another address (127.0.0.2 is loopback too): a right key works, a wrong one is a
            // plain 401, its own first failure.
            let port = try #require(app.client.port)
            let other = try await Self.curl(from: "127.0.0.2", port: port, .get, "/api/v1/products", key: app.secrets[.mint]!)
            #expect(other.status == 200, "\(other.body)")
            let otherWrong = try await Self.curl(from: "127.0.0.2", port: port, .get, "/api/v1/products", key: Self.wrongKey)
            #expect(otherWrong.status == 401, "\(otherWrong.body)")
            let created = try await Self.curl(
                from: "127.0.0.2", port: port, .post, "/api/v1/products", key: app.secrets[.admin]!, json: Self.product)
            #expect(created.status == 201, "\(created.body)")
            #expect(try await app.count("products") == 1)
        }
    }

    @Test("an address earns its tries back over the window")
    func refills() async throws {
        // Two failures at once, one back every 2 s.
        try await TestApp.run(configure: { $0.failedKeys = .init(failures: 2, window: .seconds(4)) }) { app in
            func get(_ secret: String) async throws -> TestResponse {
                try await app.client.execute(uri: "/api/v1/products", method: .get, headers: [.authorization: "Bearer \(secret)"])
            }
            #expect(try await get(Self.wrongKey).status == .unauthorized)
            #expect(try await get(Self.wrongKey).status == .unauthorized)
            let refused = try await get(app.secrets[.mint]!)
            #expect(refused.status == .tooManyRequests)
            let wait = try #require(refused.headers[.retryAfter].flatMap { Int($0) }, "no Retry-After")
            #expect((1...2).contains(wait), "Retry-After \(wait)")
            try await Task.sleep(for: .seconds(Double(wait) + 0.1))
            #expect(try await get(app.secrets[.mint]!).status == .ok, "a try came back after Retry-After")
        }
    }

    @Test("behind a trusted proxy each X-Forwarded-For address has its own count")
    func forwardedAddresses() async throws {
        try await TestApp.run(configure: Self.behindProxy) { app in
            for _ in 1...3 {
                let response = try await Self.products(app, from: "203.0.113.7", key: Self.wrongKey)
                #expect(response.status == .unauthorized)
            }
            let throttled = try await Self.products(app, from: "203.0.113.7", key: app.secrets[.mint]!)
            #expect(throttled.status == .tooManyRequests)
            let other = try await Self.products(app, from: "203.0.113.8", key: app.secrets[.mint]!)
            #expect(other.status == .ok)
            // IPv6 counts by /64: another host in the same network shares the count.
            for _ in 1...3 {
                let response = try await Self.products(app, from: "2001:db8:1:2::7", key: Self.wrongKey)
                #expect(response.status == .unauthorized)
            }
            let sameNetwork = try await Self.products(app, from: "2001:db8:1:2:abcd::9", key: app.secrets[.mint]!)
            #expect(sameNetwork.status == .tooManyRequests)
            let otherNetwork = try await Self.products(app, from: "2001:db8:1:3::7", key: app.secrets[.mint]!)
            #expect(otherNetwork.status == .ok)
        }
    }

    /// `GET /api/v1/products` with `key`, through a proxy that says the client is `address`.
    static func products(_ app: TestApp, from address: String, key: String) async throws -> TestResponse {
        try await app.client.execute(
            uri: "/api/v1/products", method: .get,
            headers: [.authorization: "Bearer \(key)", HTTPField.Name("X-Forwarded-For")!: "\(address), 10.0.0.1"])
    }

    // MARK: Helpers

    /// Three wrong keys per address, the address taken from X-Forwarded-For.
    @Sendable static func behindProxy(_ config: inout ServerConfig) {
        config.failedKeys = .init(failures: 3, window: .seconds(60))
        config.trustForwardedFor = true
    }

    struct CurlAnswer {
        let status: Int
        let headers: HTTPFields
        let body: String
    }

    /// One request with curl from the loopback address `address` (the server sees it as the
    /// client's), held to the contract.
    static func curl(
        from address: String, port: Int, _ method: HTTPRequest.Method, _ path: String, key: String, json: String? = nil
    ) async throws -> CurlAnswer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        var arguments = [
            "--silent", "--show-error", "--max-time", "30", "--interface", address, "--include", "-X", method.rawValue,
            "-H", "Authorization: Bearer \(key)",
        ]
        if let json { arguments += ["-H", "Content-Type: application/json", "--data-binary", json] }
        process.arguments = arguments + ["http://127.0.0.1:\(port)\(path)"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let reading = output.fileHandleForReading
        let data = await withCheckedContinuation { done in
            Thread { done.resume(returning: reading.readDataToEndOfFile()) }.start()
        }
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "curl failed")
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts[0].components(separatedBy: "\r\n")
        let status = try #require(head.first?.split(separator: " ").dropFirst().first.flatMap { Int($0) }, "no status in \(text)")
        var headers = HTTPFields()
        for line in head.dropFirst() {
            let pair = line.split(separator: ":", maxSplits: 1)
            guard pair.count == 2, let name = HTTPField.Name(String(pair[0])) else { continue }
            headers.append(HTTPField(name: name, value: pair[1].trimmingCharacters(in: .whitespaces)))
        }
        let body = parts.dropFirst().joined(separator: "\r\n\r\n")
        ContractValidator.expectConforms(method, path, status: status, headers: headers, body: Array(body.utf8))
        return CurlAnswer(status: status, headers: headers, body: body)
    }
}
