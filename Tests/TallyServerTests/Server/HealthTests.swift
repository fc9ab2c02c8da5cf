import Hummingbird
import HummingbirdTesting
import Logging
import TallyCodes
import TallyServer
import TallyTestSupport
import Testing

@Suite("Health and readiness over real HTTP")
struct HealthTests {
    static let keyRing = try! KeyRing([SigningKey(kid: 1, bytes: Array(0..<32))])

    @Test("/healthz answers 200 and /readyz 200 when the database is reachable")
    func ready() async throws {
        try await TestDatabase.withFresh { _, url in
            let app = try buildApplication(
                ServerConfig(port: 0, databaseURL: url, keyRing: Self.keyRing),
                logger: quietLogger
            )
            try await app.test(.live) { live in
                let client = ContractCheckedClient(base: live)
                try await client.execute(uri: "/healthz", method: .get) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "text/plain; charset=utf-8")
                    #expect(String(buffer: response.body) == "ready\n")
                }
            }
        }
    }

    @Test("/readyz answers 503 when the database cannot be reached, /healthz still 200")
    func notReady() async throws {
        // Port 9 (discard) on loopback: nothing listens there.
        let app = try buildApplication(
            ServerConfig(port: 0, databaseURL: "postgres://tally@127.0.0.1:9/none?sslmode=disable", keyRing: Self.keyRing),
            logger: quietLogger
        )
        try await app.test(.live) { live in
            let client = ContractCheckedClient(base: live)
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
            }
        }
    }

    @Test("the routes outside /api answer a method they lack with 405 and Allow: GET")
    func otherMethods() async throws {
        let app = try buildApplication(
            ServerConfig(port: 0, databaseURL: "postgres://tally@127.0.0.1:9/none?sslmode=disable", keyRing: Self.keyRing),
            logger: quietLogger
        )
        try await app.test(.live) { live in
            for path in ["/healthz", "/readyz", "/metrics", "/openapi.yaml"] {
                for method: HTTPRequest.Method in [.post, .put, .delete, .init("TRACE")!] {
                    try await live.execute(uri: path, method: method) { response in
                        #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                        #expect(response.headers[.allow] == "GET")
                    }
                }
            }
        }
    }
}
