import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TallyCore
import Testing

@Suite("Batches API over real HTTP")
struct BatchAPITests {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    @Test("a batch takes the next serial range under the newest kid, with the product's points by default")
    func create() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let first = try await app.createBatch(
                #"{"sku": "RICE-5KG", "quantity": 1000, "lot": "L7", "production_date": "2026-11-01", "expiry_date": "2027-11-01", "region": "CN-31", "channel": "tmall"}"#
            )
            #expect(first.kid == 1 && first.firstSerial == 0 && first.quantity == 1000 && first.pointsPerCode == 10)
            #expect(first.lot == "L7" && first.productionDate == "2026-11-01" && first.region == "CN-31" && first.channel == "tmall")
            #expect(first.ranges == [BatchRange(from: 0, count: 1000, state: .created)])
            #expect(first.createdBy?.hasPrefix("key:tly_") == true)
            let second = try await app.createBatch(#"{"sku": "RICE-5KG", "quantity": 5, "points_per_code": 50}"#)
            #expect(second.firstSerial == 1000 && second.pointsPerCode == 50)
            let read = try decode(Batch.self, try await app.request(.get, "/api/v1/batches/\(second.id)"))
            #expect(read == second)
            let list = try decode(PageOf<Batch>.self, try await app.request(.get, "/api/v1/batches?limit=1"))
            #expect(list.items.map(\.id) == [second.id] && list.nextCursor == String(second.id))
            let rest = try decode(PageOf<Batch>.self, try await app.request(.get, "/api/v1/batches?limit=1&cursor=\(second.id)"))
            #expect(rest.items.map(\.id) == [first.id])
        }
    }

    @Test("a retry with the same Idempotency-Key returns the same batch and allocates nothing")
    func idempotentRetry() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let body = #"{"sku": "RICE-5KG", "quantity": 100}"#
            let original = try await app.createBatch(body, key: "order-42")
            let retry = try await app.request(.post, "/api/v1/batches", json: body, headers: [Self.idempotencyKey: "order-42"])
            #expect(retry.status == .created)
            #expect(retry.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try decode(Batch.self, retry) == original)
            let reused = try await app.request(
                .post, "/api/v1/batches", json: #"{"sku": "RICE-5KG", "quantity": 7}"#, headers: [Self.idempotencyKey: "order-42"])
            #expect(reused.status == .unprocessableContent)
            #expect(try errorCode(reused) == "idempotency_key_reused")
            #expect(try await app.count("batches") == 1)
        }
    }

    @Test("concurrent creations get disjoint ranges; concurrent retries of one key make one batch")
    func concurrent() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batches = try await withThrowingTaskGroup(of: Batch.self) { group in
                for i in 0..<20 {
                    group.addTask { try await app.createBatch(#"{"sku": "RICE-5KG", "quantity": \#(100 + i)}"#) }
                }
                return try await group.reduce(into: [Batch]()) { $0.append($1) }
            }
            let ranges = batches.map { $0.firstSerial..<($0.firstSerial + $0.quantity) }.sorted { $0.lowerBound < $1.lowerBound }
            for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound <= b.lowerBound) }
            #expect(ranges.last!.upperBound == Int64((0..<20).map { 100 + $0 }.reduce(0, +)))

            let retries = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await app.createBatch(#"{"sku": "RICE-5KG", "quantity": 9}"#, key: "same-key").id }
                }
                return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
            }
            #expect(retries.count == 1)
            #expect(try await app.count("batches") == 21)
        }
    }

    @Test(
        "bad batch orders are refused with their own error and allocate nothing",
        arguments: [
            (#"{"sku": "NOPE", "quantity": 5}"#, 404, "product_not_found"),
            (#"{"sku": "RICE-5KG", "quantity": 0}"#, 422, "invalid_quantity"),
            (#"{"sku": "RICE-5KG", "quantity": 50000001}"#, 422, "invalid_quantity"),
            (#"{"sku": "RICE-5KG", "quantity": 5, "points_per_code": -1}"#, 422, "invalid_points"),
            (#"{"sku": "RICE-5KG", "quantity": 5, "production_date": "2026-02-30"}"#, 422, "invalid_date"),
            (#"{"sku": "RICE-5KG", "quantity": 5, "production_date": "1 Nov"}"#, 422, "invalid_production_date"),
            (#"{"sku": "RICE-5KG", "quantity": 5, "production_date": "2026-11-02", "expiry_date": "2026-11-01"}"#, 422, "invalid_dates"),
            (#"{"sku": "RICE-5KG", "quantity": 5, "url_form": "long"}"#, 422, "invalid_url_form"),
            (#"{"sku": "PLAIN", "quantity": 5, "url_form": "gs1"}"#, 422, "product_has_no_gtin"),
            (#"{"sku": "RICE-5KG", "quantity": 5, "lot": ""}"#, 422, "invalid_lot"),
            (#"{"sku": "RICE-5KG"}"#, 400, "invalid_json"),
            (#"{"sku": "RICE-5KG", "quantity": "many"}"#, 400, "invalid_json"),
        ])
    func invalid(body: String, status: Int, code: String) async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            try await app.createProduct(sku: "PLAIN", gtin: nil)
            let response = try await app.request(.post, "/api/v1/batches", json: body, headers: [Self.idempotencyKey: "k"])
            #expect(response.status.code == status)
            #expect(try errorCode(response) == code)
            #expect(try await app.count("batches") == 0)
            #expect(try await app.count("serial_counters") == 0)
            #expect(try await app.count("idempotency_keys") == 0)
        }
    }

    @Test("creating a batch without an Idempotency-Key is refused")
    func missingIdempotencyKey() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let response = try await app.request(.post, "/api/v1/batches", json: #"{"sku": "RICE-5KG", "quantity": 5}"#)
            #expect(response.status == .badRequest)
            #expect(try errorCode(response) == "missing_idempotency_key")
            #expect(try await app.count("batches") == 0)
        }
    }

    @Test("activate a sub-range, void part of it; voided codes cannot be activated again")
    func lifecycle() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createBatch(#"{"sku": "RICE-5KG", "quantity": 1000}"#)
            let activated = try await app.request(.post, "/api/v1/batches/\(batch.id)/activate", json: #"{"from": 0, "count": 600}"#)
            #expect(activated.status == .ok)
            #expect(
                try decode(Batch.self, activated).ranges == [
                    BatchRange(from: 0, count: 600, state: .active), BatchRange(from: 600, count: 400, state: .created),
                ])
            let voided = try await app.request(
                .post, "/api/v1/batches/\(batch.id)/void", json: #"{"from": 100, "count": 50, "reason": "roll stolen from line 3"}"#)
            #expect(
                try decode(Batch.self, voided).ranges == [
                    BatchRange(from: 0, count: 100, state: .active), BatchRange(from: 100, count: 50, state: .voided),
                    BatchRange(from: 150, count: 450, state: .active), BatchRange(from: 600, count: 400, state: .created),
                ])
            let reactivate = try await app.request(.post, "/api/v1/batches/\(batch.id)/activate", json: #"{"from": 140, "count": 20}"#)
            #expect(reactivate.status == .conflict)
            #expect(try errorCode(reactivate) == "codes_voided")
            // An empty body activates the whole batch, except that voided codes stay voided: refused.
            let all = try await app.request(.post, "/api/v1/batches/\(batch.id)/activate")
            #expect(all.status == .conflict)
            let rest = try await app.request(.post, "/api/v1/batches/\(batch.id)/activate", json: #"{"from": 600}"#)
            #expect(try decode(Batch.self, rest).ranges.last == BatchRange(from: 150, count: 850, state: .active))
            #expect(try await app.count("batch_state_changes") == 3)
        }
    }

    @Test("bad state changes are refused and change nothing")
    func invalidStateChanges() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let batch = try await app.createBatch(#"{"sku": "RICE-5KG", "quantity": 100}"#)
            let cases: [(String, String, Int, String)] = [
                ("activate", #"{"from": 100}"#, 422, "invalid_range"),
                ("activate", #"{"from": -1}"#, 422, "invalid_range"),
                ("activate", #"{"from": 90, "count": 11}"#, 422, "invalid_range"),
                ("activate", #"{"count": 0}"#, 422, "invalid_range"),
                ("void", #"{"from": 0, "count": 10}"#, 422, "missing_reason"),
                ("void", #"{"reason": "   "}"#, 422, "missing_reason"),
                ("activate", #"{"from": "zero"}"#, 400, "invalid_json"),
            ]
            for (action, body, status, code) in cases {
                let response = try await app.request(.post, "/api/v1/batches/\(batch.id)/\(action)", json: body)
                #expect(response.status.code == status, "\(action) \(body)")
                #expect(try errorCode(response) == code, "\(action) \(body)")
            }
            for uri in ["/api/v1/batches/999", "/api/v1/batches/abc", "/api/v1/batches/0"] {
                let missing = try await app.request(.get, uri)
                #expect(missing.status == .notFound)
                #expect(try errorCode(missing) == "batch_not_found")
            }
            let missingActivate = try await app.request(.post, "/api/v1/batches/999/activate")
            #expect(missingActivate.status == .notFound)
            #expect(try await app.count("batch_state_changes") == 0)
        }
    }

    @Test("metrics count created batches; every response carries a request id")
    func metrics() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            _ = try await app.createBatch(#"{"sku": "RICE-5KG", "quantity": 10}"#)
            let metrics = try await app.request(.get, "/metrics", as: nil)
            let text = String(buffer: metrics.body)
            #expect(text.contains("tally_batches_created_total"))
            #expect(text.contains("http_server_request_duration_bucket"))
            let response = try await app.request(.get, "/api/v1/batches/12345")
            // Hummingbird's id: a per-process random prefix (hex, not zero-padded, so sometimes
            // shorter) and a 16-digit counter.
            let id = try #require(response.headers[HTTPField.Name("X-Request-Id")!])
            #expect((17...32).contains(id.count) && id.allSatisfy(\.isHexDigit), "\(id)")
        }
    }

    @Test("unknown API paths answer the JSON error for any method; a 401 says how to authenticate")
    func unknownPathsAndChallenge() async throws {
        try await TestApp.run { app in
            for method: HTTPRequest.Method in [.get, .post, .put, .patch, .delete] {
                let response = try await app.request(method, "/api/v1/nothing-here", json: method == .get ? nil : "{}")
                #expect(response.status == .notFound, "\(method)")
                #expect(try errorCode(response) == "not_found")
            }
            let anonymous = try await app.request(.get, "/api/v1/batches", as: nil)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate] == #"Bearer realm="tally""#)
        }
    }
}
