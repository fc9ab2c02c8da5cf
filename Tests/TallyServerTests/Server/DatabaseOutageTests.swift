import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TallyCodes
import TallyCore
import TallyServer
import TallyTestSupport
import Testing

/// The database going away under a live server (through `TCPProxy`, which cuts or silences
/// every connection): bounded waits, 503s that say whether anything was written, and service
/// again soon after the database is back, without a restart.
@Suite("A database outage under a live server")
struct DatabaseOutageTests {
    // Long enough that the set-up before each outage (the first connections through the proxy)
    // never meets it on a busy machine.
    static let deadline: Duration = .seconds(2)

    /// A server whose database connections go through a proxy the test controls.
    static func run(_ body: @Sendable (TestApp, TCPProxy) async throws -> Void) async throws {
        let target = try #require(URLComponents(string: TestDatabase.url(database: "postgres"))?.port)
        let proxy = try await TCPProxy(targetPort: target)
        do {
            try await TestApp.run(configure: { config in
                var url = URLComponents(string: config.databaseURL)!
                url.port = proxy.port
                config.databaseURL = url.string!
                config.apiDeadline = deadline
                config.pageDeadline = deadline
            }) { app in try await body(app, proxy) }
        } catch {
            try? await proxy.close()
            throw error
        }
        try await proxy.close()
    }

    /// `request`, and how long its answer took.
    static func timed(_ work: () async throws -> TestResponse) async throws -> (TestResponse, Duration) {
        let start = ContinuousClock.now
        let response = try await work()
        return (response, ContinuousClock.now - start)
    }

    static func expectUnavailable(_ response: TestResponse, waited: Duration, code: String = "database_unavailable") throws {
        #expect(response.status == .serviceUnavailable)
        #expect(response.headers[.retryAfter] == "1")
        #expect(try errorCode(response) == code)
        #expect(waited < deadline + .seconds(1), "waited \(waited)")
    }

    @Test(
        "while the database refuses connections, reads and writes answer 503 database_unavailable within the deadline; nothing is written")
    func refused() async throws {
        try await Self.run { app, proxy in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 10}"#)
            let claims = try await app.count("claims")
            proxy.cut()

            let (list, listWait) = try await Self.timed { try await app.request(.get, "/api/v1/products", as: .admin) }
            try Self.expectUnavailable(list, waited: listWait)
            let claimBody = #"{"code": "\#(app.code(batch, 0).text)", "identity": {"channel": "tmall", "external_id": "buyer-1"}}"#
            let (claim, claimWait) = try await Self.timed {
                try await app.request(.post, "/api/v1/claims", as: .claim, json: claimBody, headers: [TestApp.idempotencyKey: "outage-1"])
            }
            try Self.expectUnavailable(claim, waited: claimWait)
            let (product, productWait) = try await Self.timed {
                try await app.request(
                    .post, "/api/v1/products", as: .admin, json: #"{"sku": "OIL-1L", "name": "Oil", "default_points": 5}"#)
            }
            try Self.expectUnavailable(product, waited: productWait)
            // A method the path does not take is answered after the key's lookup: bounded too.
            let (unrouted, unroutedWait) = try await Self.timed { try await app.request(.put, "/api/v1/claims", as: .claim, json: "{}") }
            try Self.expectUnavailable(unrouted, waited: unroutedWait)

            proxy.restore()
            #expect(try await app.count("claims") == claims)
            #expect(try await app.count("products") == 1)
            // The claim sent again with its key, as a client retries until the server is back
            // (within 5 s: its pool reconnects at its next try), is made once.
            var retried = try await app.request(
                .post, "/api/v1/claims", as: .claim, json: claimBody, headers: [TestApp.idempotencyKey: "outage-1"])
            let back = ContinuousClock.now
            while retried.status == .serviceUnavailable, ContinuousClock.now - back < .seconds(5) {
                try await Task.sleep(for: .milliseconds(200))
                retried = try await app.request(
                    .post, "/api/v1/claims", as: .claim, json: claimBody, headers: [TestApp.idempotencyKey: "outage-1"])
            }
            #expect(retried.status == .created)
            #expect(try await app.count("claims") == claims + 1)
        }
    }

    @Test("a database that stops answering (a partition) costs a request its deadline, not more: 503, and the page says try again")
    func silent() async throws {
        try await Self.run { app, proxy in
            try await app.createProduct()
            let batch = try await app.createActiveBatch(#"{"sku": "RICE-5KG", "quantity": 10}"#)
            proxy.hang()
            // hang() also closes the pool's open connections; a request leased one the pool had
            // not yet seen close would fail at once, which is not what this test is about (a
            // silent database). Give the pool a moment to notice.
            try await Task.sleep(for: .milliseconds(300))
            let (member, waited) = try await Self.timed {
                try await app.request(.get, "/api/v1/members/\(UUID().uuidString.lowercased())", as: .crmRead)
            }
            try Self.expectUnavailable(member, waited: waited)
            #expect(waited >= Self.deadline - .milliseconds(50))

            let (page, pageWait) = try await Self.timed {
                try await app.client.execute(uri: "/Q/\(app.code(batch, 1).text)", method: .get, headers: [:], body: nil)
            }
            #expect(page.status == .serviceUnavailable)
            #expect(pageWait < Self.deadline + .seconds(1))
            #expect(String(buffer: page.body).contains("请稍后再试"))
            let english = try await app.client.execute(
                uri: "/Q/\(app.code(batch, 1).text)", method: .get, headers: [.acceptLanguage: "en"], body: nil)
            #expect(english.status == .serviceUnavailable)
            #expect(String(buffer: english.body).contains("try again in a moment"))
            proxy.restore()
        }
    }

    @Test("after the database comes back the server serves again within 5 s, without a restart")
    func recovers() async throws {
        try await Self.run { app, proxy in
            try await app.createProduct()
            proxy.cut()
            for _ in 0..<3 {
                let response = try await app.request(.get, "/api/v1/products", as: .admin)
                #expect(response.status == .serviceUnavailable)
            }
            try await Task.sleep(for: .seconds(2))
            proxy.restore()
            let back = ContinuousClock.now
            var served = false
            while ContinuousClock.now - back < .seconds(5) {
                if try await app.request(.get, "/api/v1/products", as: .admin).status == .ok {
                    served = true
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(served, "not serving 5 s after the database came back")
        }
    }
}
