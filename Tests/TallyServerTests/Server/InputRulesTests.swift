import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import TallyCodes
import TallyCore
import TallyTestSupport
import Testing

/// What the API reads from a request before anything reaches the database (issue 15): text
/// PostgreSQL cannot store (NUL) or that has no place in a field, Idempotency-Keys that are not
/// visible ASCII, `null` where a field may not be null, bodies that are not JSON, impossible
/// date-times. Each refusal is a 4xx in the JSON error shape (held to the contract by the test
/// client) and changes nothing at all: every table's rows are the same before and after.
@Suite("Input rules")
struct InputRulesTests {
    /// A request that must be refused, and how.
    struct Refusal: CustomStringConvertible {
        let method: HTTPRequest.Method
        let uri: String
        let scope: Scope
        var json: String? = nil
        let status: Int
        let code: String
        var key: Bool = false

        var description: String { "\(method) \(uri) \(json ?? "")" }
    }

    /// What the refusals need: a product, an active batch, a member with points, a reward, a
    /// webhook subscription (inactive: nothing is sent meanwhile).
    struct World {
        let batch: Batch
        let member: UUID
        let webhook: UUID
    }

    static func world(_ app: TestApp) async throws -> World {
        let batch = try await app.activeBatch(quantity: 20)
        let member = try await app.claimAsMember(batch, 0, externalID: "wx-input")
        try await app.credit(member, 500)
        _ = try await app.createReward(#"{"sku": "MUG", "name": "Mug", "cost_points": 10}"#)
        let created = try await app.request(
            .post, "/api/v1/webhooks", as: .admin,
            json: #"{"url": "https://crm.example.cn/hook", "event_types": ["points.credited"], "active": false}"#)
        try #require(created.status == .created, "\(String(buffer: created.body))")
        struct Created: Decodable { let id: UUID }
        return World(batch: batch, member: member, webhook: try decode(Created.self, created).id)
    }

    /// Sends each refusal and checks its status, its code, and that no row changed.
    static func expectRefused(_ refusals: [Refusal], _ app: TestApp, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for refusal in refusals {
            let before = try await app.databaseDigest()
            let headers: HTTPFields = refusal.key ? [TestApp.idempotencyKey: UUID().uuidString] : [:]
            let response = try await app.request(refusal.method, refusal.uri, as: refusal.scope, json: refusal.json, headers: headers)
            #expect(
                Int(response.status.code) == refusal.status, "\(refusal): \(response.status) \(String(buffer: response.body))",
                sourceLocation: sourceLocation)
            #expect(
                (try? errorCode(response)) == refusal.code, "\(refusal): \(String(buffer: response.body))", sourceLocation: sourceLocation)
            #expect(try await app.databaseDigest() == before, "\(refusal) changed the database", sourceLocation: sourceLocation)
        }
    }

    // MARK: NUL and control characters

    @Test("a NUL in any query parameter, path parameter or JSON string that reaches the database is a 4xx that changes nothing")
    func nul() async throws {
        try await TestApp.run { app in
            let w = try await Self.world(app)
            let m = w.member
            let member = "/api/v1/members/\(m)"
            try await Self.expectRefused(
                [
                    // Query parameters.
                    Refusal(method: .get, uri: "/api/v1/segments/members.csv?tier=%00", scope: .crmRead, status: 400, code: "invalid_tier"),
                    Refusal(
                        method: .get, uri: "/api/v1/segments/members.csv?segment=%00", scope: .crmRead, status: 400, code: "invalid_segment"
                    ),
                    Refusal(method: .get, uri: "/api/v1/products?cursor=%00", scope: .mint, status: 400, code: "invalid_cursor"),
                    Refusal(method: .get, uri: "/api/v1/rewards?cursor=%00", scope: .redeem, status: 400, code: "invalid_cursor"),
                    Refusal(method: .get, uri: "/api/v1/rewards?channel=%00", scope: .redeem, status: 422, code: "invalid_channel"),
                    Refusal(method: .get, uri: "/api/v1/rewards?active=%00", scope: .redeem, status: 400, code: "invalid_active"),
                    Refusal(method: .get, uri: "/api/v1/batches?sku=%00", scope: .mint, status: 400, code: "invalid_sku"),
                    Refusal(method: .get, uri: "/api/v1/batches?cursor=%00", scope: .mint, status: 400, code: "invalid_cursor"),
                    Refusal(method: .get, uri: "/api/v1/members?phone=%00", scope: .crmRead, status: 422, code: "invalid_external_id"),
                    Refusal(
                        method: .get, uri: "/api/v1/members?channel=%00&external_id=x", scope: .crmRead, status: 422,
                        code: "invalid_channel"),
                    Refusal(
                        method: .get, uri: "/api/v1/members?channel=tmall&external_id=%00", scope: .crmRead, status: 422,
                        code: "invalid_external_id"),
                    Refusal(method: .get, uri: "\(member)/ledger?kind=%00", scope: .crmRead, status: 422, code: "invalid_kind"),
                    Refusal(method: .get, uri: "\(member)/ledger?from=%00", scope: .crmRead, status: 400, code: "invalid_from"),
                    Refusal(method: .get, uri: "\(member)/ledger?to=%00", scope: .crmRead, status: 400, code: "invalid_to"),
                    Refusal(method: .get, uri: "\(member)/ledger?limit=%00", scope: .crmRead, status: 400, code: "invalid_limit"),
                    Refusal(method: .get, uri: "/api/v1/reports/liability?from=%00", scope: .crmRead, status: 422, code: "invalid_month"),
                    Refusal(
                        method: .get, uri: "/api/v1/batches/\(w.batch.id)/codes?format=%00", scope: .mint, status: 400,
                        code: "invalid_format"),
                    Refusal(
                        method: .get, uri: "/api/v1/webhooks/\(w.webhook)/deliveries?status=%00", scope: .admin, status: 400,
                        code: "invalid_status"),
                    // Path parameters.
                    Refusal(method: .get, uri: "/api/v1/products/%00", scope: .mint, status: 404, code: "product_not_found"),
                    Refusal(
                        method: .patch, uri: "/api/v1/products/%00", scope: .admin, json: #"{"name": "x"}"#, status: 404,
                        code: "product_not_found"),
                    Refusal(method: .get, uri: "/api/v1/rewards/%00", scope: .redeem, status: 404, code: "reward_not_found"),
                    Refusal(
                        method: .delete, uri: "\(member)/identities/tmall/%00", scope: .crmWrite, status: 422, code: "invalid_external_id"),
                    Refusal(method: .delete, uri: "\(member)/identities/%00/x", scope: .crmWrite, status: 422, code: "invalid_channel"),
                    // JSON bodies: batches.
                    Refusal(
                        method: .post, uri: "/api/v1/batches", scope: .mint, json: #"{"sku": "\u0000", "quantity": 1}"#, status: 422,
                        code: "invalid_sku", key: true),
                    Refusal(
                        method: .post, uri: "/api/v1/batches", scope: .mint, json: #"{"sku": "RICE-5KG\u0000", "quantity": 1}"#,
                        status: 422,
                        code: "invalid_sku", key: true),
                    Refusal(
                        method: .post, uri: "/api/v1/batches", scope: .mint, json: #"{"sku": "RICE-5KG", "quantity": 1, "lot": "\u0000"}"#,
                        status: 422, code: "invalid_lot", key: true),
                    Refusal(
                        method: .post, uri: "/api/v1/batches", scope: .mint,
                        json: #"{"sku": "RICE-5KG", "quantity": 1, "region": "a\u0000"}"#,
                        status: 422, code: "invalid_region", key: true),
                    Refusal(
                        method: .post, uri: "/api/v1/batches", scope: .mint,
                        json: #"{"sku": "RICE-5KG", "quantity": 1, "channel": "\u0000"}"#,
                        status: 422, code: "invalid_channel", key: true),
                    Refusal(
                        method: .post, uri: "/api/v1/batches", scope: .mint,
                        json: #"{"sku": "RICE-5KG", "quantity": 1, "production_date": "2026-01-0\u0000"}"#, status: 422,
                        code: "invalid_production_date", key: true),
                    Refusal(
                        method: .post, uri: "/api/v1/batches", scope: .mint,
                        json: #"{"sku": "RICE-5KG", "quantity": 1, "url_form": "\u0000"}"#,
                        status: 422, code: "invalid_url_form", key: true),
                    Refusal(
                        method: .post, uri: "/api/v1/batches/\(w.batch.id)/void", scope: .mint, json: #"{"reason": "stolen\u0000"}"#,
                        status: 422, code: "invalid_reason"),
                    Refusal(
                        method: .post, uri: "/api/v1/batches/\(w.batch.id)/activate", scope: .mint, json: #"{"reason": "\u0000"}"#,
                        status: 422, code: "invalid_reason"),
                    // Products.
                    Refusal(
                        method: .post, uri: "/api/v1/products", scope: .admin,
                        json: #"{"sku": "\u0000", "name": "n", "default_points": 1}"#,
                        status: 422, code: "invalid_sku"),
                    Refusal(
                        method: .post, uri: "/api/v1/products", scope: .admin,
                        json: #"{"sku": "P1", "name": "\u0000", "default_points": 1}"#,
                        status: 422, code: "invalid_name"),
                    Refusal(
                        method: .post, uri: "/api/v1/products", scope: .admin,
                        json: #"{"sku": "P1", "name": "n", "default_points": 1, "description": "\u0000"}"#, status: 422,
                        code: "invalid_description"),
                    Refusal(
                        method: .post, uri: "/api/v1/products", scope: .admin,
                        json: #"{"sku": "P1", "name": "n", "default_points": 1, "image_url": "https://a.cn/\u0000"}"#, status: 422,
                        code: "invalid_image_url"),
                    Refusal(
                        method: .post, uri: "/api/v1/products", scope: .admin,
                        json: #"{"sku": "P1", "name": "n", "default_points": 1, "gtin": "\u0000"}"#, status: 422, code: "invalid_gtin"),
                    Refusal(
                        method: .patch, uri: "/api/v1/products/RICE-5KG", scope: .admin, json: #"{"name": "\u0000"}"#, status: 422,
                        code: "invalid_name"),
                    Refusal(
                        method: .patch, uri: "/api/v1/products/RICE-5KG", scope: .admin, json: #"{"image_url": "http://\u0000"}"#,
                        status: 422,
                        code: "invalid_image_url"),
                    Refusal(
                        method: .patch, uri: "/api/v1/products/RICE-5KG", scope: .admin, json: #"{"description": "\u0000"}"#, status: 422,
                        code: "invalid_description"),
                    Refusal(
                        method: .patch, uri: "/api/v1/products/RICE-5KG", scope: .admin, json: #"{"sku": "\u0000"}"#, status: 422,
                        code: "sku_immutable"),
                    // Rewards and redemptions.
                    Refusal(
                        method: .post, uri: "/api/v1/rewards", scope: .crmWrite, json: #"{"sku": "\u0000", "name": "n", "cost_points": 1}"#,
                        status: 422, code: "invalid_sku"),
                    Refusal(
                        method: .post, uri: "/api/v1/rewards", scope: .crmWrite,
                        json: #"{"sku": "R1", "name": "\u0000", "cost_points": 1}"#,
                        status: 422, code: "invalid_name"),
                    Refusal(
                        method: .post, uri: "/api/v1/rewards", scope: .crmWrite,
                        json: #"{"sku": "R1", "name": "n", "cost_points": 1, "image_url": "https://a.cn/\u0000"}"#, status: 422,
                        code: "invalid_image_url"),
                    Refusal(
                        method: .post, uri: "/api/v1/rewards", scope: .crmWrite,
                        json: #"{"sku": "R1", "name": "n", "cost_points": 1, "channels": ["\u0000"]}"#, status: 422,
                        code: "invalid_channels"),
                    Refusal(
                        method: .patch, uri: "/api/v1/rewards/MUG", scope: .crmWrite, json: #"{"description": "\u0000"}"#, status: 422,
                        code: "invalid_description"),
                    Refusal(
                        method: .post, uri: "\(member)/redemptions", scope: .redeem, json: #"{"reward": "\u0000", "quantity": 1}"#,
                        status: 422,
                        code: "invalid_sku", key: true),
                    Refusal(
                        method: .post, uri: "\(member)/redemptions", scope: .redeem,
                        json: #"{"reward": "MUG", "quantity": 1, "channel": "\u0000"}"#,
                        status: 422, code: "invalid_channel", key: true),
                    Refusal(
                        method: .post, uri: "/api/v1/redemptions/\(UUID())/cancel", scope: .redeem, json: #"{"reason": "\u0000"}"#,
                        status: 422,
                        code: "invalid_reason"),
                    // Claims and members.
                    Refusal(
                        method: .post, uri: "/api/v1/claims", scope: .claim,
                        json: #"{"code": "\u0000", "identity": {"channel": "tmall", "external_id": "t1"}}"#, status: 422,
                        code: "malformed_code", key: true),
                    Refusal(
                        method: .post, uri: "/api/v1/claims", scope: .claim,
                        json: #"{"code": "\#(app.code(w.batch, 1).text)", "identity": {"channel": "\u0000", "external_id": "t1"}}"#,
                        status: 422, code: "invalid_channel", key: true),
                    Refusal(
                        method: .post, uri: "/api/v1/claims", scope: .claim,
                        json: #"{"code": "\#(app.code(w.batch, 1).text)", "identity": {"channel": "tmall", "external_id": "\u0000"}}"#,
                        status: 422, code: "invalid_external_id", key: true),
                    Refusal(
                        method: .post, uri: "/api/v1/claims", scope: .claim,
                        json:
                            #"{"code": "\#(app.code(w.batch, 1).text)", "identity": {"channel": "tmall", "external_id": "t1"}, "phone": "\u0000"}"#,
                        status: 422, code: "invalid_phone", key: true),
                    Refusal(
                        method: .post, uri: "\(member)/identities", scope: .crmWrite,
                        json: #"{"channel": "tmall", "external_id": "\u0000"}"#,
                        status: 422, code: "invalid_external_id"),
                    Refusal(
                        method: .post, uri: "\(member)/adjustments", scope: .crmWrite, json: #"{"points": 5, "reason": "\u0000"}"#,
                        status: 422,
                        code: "invalid_reason", key: true),
                    Refusal(
                        method: .post, uri: "\(member)/merge", scope: .crmWrite, json: #"{"absorb": "\#(UUID())", "reason": "\u0000"}"#,
                        status: 422, code: "invalid_reason", key: true),
                    Refusal(
                        method: .put, uri: "/api/v1/programme", scope: .admin,
                        json:
                            #"{"points_valid_months": 12, "tier_window_months": 12, "redemption_cancel_hours": 72, "tiers": [{"name": "\u0000", "min_earned": 1}]}"#,
                        status: 422, code: "invalid_tiers"),
                    // Webhooks.
                    Refusal(
                        method: .post, uri: "/api/v1/webhooks", scope: .admin,
                        json: #"{"url": "https://a.cn/\u0000", "event_types": ["points.credited"]}"#,
                        status: 422, code: "invalid_url"),
                    Refusal(
                        method: .post, uri: "/api/v1/webhooks", scope: .admin,
                        json: #"{"url": "https://a.cn/", "event_types": ["\u0000"]}"#,
                        status: 422, code: "invalid_event_type"),
                    Refusal(
                        method: .patch, uri: "/api/v1/webhooks/\(w.webhook)", scope: .admin, json: #"{"url": "https://a.cn/\u0000"}"#,
                        status: 422,
                        code: "invalid_url"),
                    Refusal(
                        method: .post, uri: "/api/v1/webhooks/\(w.webhook)/replay", scope: .admin, json: #"{"status": "\u0000"}"#,
                        status: 422,
                        code: "invalid_status"),
                ], app)
        }
    }

    @Test("other control characters in a query parameter are refused too, with the parameter's code")
    func controlCharacters() async throws {
        try await TestApp.run { app in
            _ = try await Self.world(app)
            try await Self.expectRefused(
                [
                    Refusal(method: .get, uri: "/api/v1/batches?sku=RICE%0A", scope: .mint, status: 400, code: "invalid_sku"),
                    Refusal(method: .get, uri: "/api/v1/products?cursor=A%1B", scope: .mint, status: 400, code: "invalid_cursor"),
                    Refusal(
                        method: .get, uri: "/api/v1/segments/members.csv?tier=gold%7F", scope: .crmRead, status: 400, code: "invalid_tier"),
                    Refusal(
                        method: .get, uri: "/api/v1/segments/members.csv?tier=Gold", scope: .crmRead, status: 400, code: "invalid_tier"),
                    Refusal(method: .get, uri: "/api/v1/batches?sku=no%20sku", scope: .mint, status: 400, code: "invalid_sku"),
                ], app)
            // A well-formed filter that matches nothing is an empty page, not an error.
            let none = try await app.request(.get, "/api/v1/batches?sku=NO-SUCH")
            #expect(none.status == .ok && String(buffer: none.body).contains(#""items":[]"#))
        }
    }

    @Test("a NUL typed on the landing page is recorded with the scans as U+FFFD: the scans waiting with it are still written")
    func nulScan() async throws {
        try await TestApp.run { app in
            let batch = try await app.activeBatch(quantity: 5)
            let typed = try await app.client.execute(uri: "/Q?code=%00", method: .get)
            #expect(typed.status == .ok)
            let genuine = try await app.client.execute(uri: "/Q/\(app.code(batch, 1).text)", method: .get)
            #expect(genuine.status == .ok)
            var written: Int64 = 0
            for _ in 0..<100 where written < 2 {
                try await Task.sleep(for: .milliseconds(100))
                written = try await app.int64("SELECT count(*) FROM scans")
            }
            #expect(written == 2, "the scans were not written")
            #expect(try await app.int64("SELECT count(*) FROM scans WHERE input = U&'\\FFFD'") == 1)
        }
    }

    // MARK: Idempotency-Key

    @Test("an Idempotency-Key that is not 1 to 200 visible ASCII characters is refused on every keyed write, changing nothing")
    func idempotencyKeyBytes() async throws {
        try await TestApp.run { app in
            let w = try await Self.world(app)
            let other = try await app.newMember(phone: "13900139000")
            let writes: [(HTTPRequest.Method, String, Scope, String)] = [
                (.post, "/api/v1/batches", .mint, #"{"sku": "RICE-5KG", "quantity": 3}"#),
                (
                    .post, "/api/v1/claims", .claim,
                    #"{"code": "\#(app.code(w.batch, 2).text)", "identity": {"channel": "tmall", "external_id": "t-9"}}"#
                ),
                (.post, "/api/v1/members/\(w.member)/adjustments", .crmWrite, #"{"points": 5, "reason": "goodwill"}"#),
                (.post, "/api/v1/members/\(w.member)/merge", .crmWrite, #"{"absorb": "\#(other)", "reason": "same person"}"#),
                (.post, "/api/v1/members/\(w.member)/redemptions", .redeem, #"{"reward": "MUG", "quantity": 1}"#),
                (
                    .post, "/api/v1/webhooks", .admin,
                    #"{"url": "https://crm.example.cn/b", "event_types": ["points.credited"], "active": false}"#
                ),
            ]
            let prefix = Array("Idempotency-Key: key-".utf8)
            let keys: [(String, [[UInt8]])] = [
                // Before: both arrived as "key-\u{FFFD}", so the second got the first's answer.
                ("bytes that are not UTF-8 (FF)", [prefix + [0xFF]]),
                ("other bytes that are not UTF-8 (FE)", [prefix + [0xFE]]),
                ("valid UTF-8 outside ASCII", [prefix + Array("ключ".utf8)]),
                ("U+FFFD itself", [prefix + Array("\u{FFFD}".utf8)]),
                ("a space", [prefix + Array("a b".utf8)]),
                ("two headers", [prefix + Array("a".utf8), prefix + Array("b".utf8)]),
                ("201 characters", [Array("Idempotency-Key: ".utf8) + Array(repeating: UInt8(ascii: "k"), count: 201)]),
            ]
            for (method, uri, scope, json) in writes {
                for (name, lines) in keys {
                    let before = try await app.databaseDigest()
                    let (status, body) = try await app.rawRequest(method, uri, as: scope, headerLines: lines, json: json)
                    #expect(status == 422, "\(uri), \(name): \(status) \(String(decoding: body, as: UTF8.self))")
                    #expect((try? errorCode(body)) == "invalid_idempotency_key", "\(uri), \(name)")
                    #expect(try await app.databaseDigest() == before, "\(uri), \(name) changed the database")
                }
                // Visible ASCII with punctuation is a key like any other.
                let fine = try await app.rawRequest(
                    method, uri, as: scope, headerLines: [prefix + Array("order:7781/line-3~\(uri.count)".utf8)], json: json)
                #expect((200...201).contains(fine.status), "\(uri): \(fine.status) \(String(decoding: fine.body, as: UTF8.self))")
            }
        }
    }

    // MARK: null

    @Test(
        "null in a field the contract does not mark nullable is a 400 invalid_json that changes nothing; where it is nullable it is taken")
    func null() async throws {
        try await TestApp.run { app in
            let w = try await Self.world(app)
            let member = "/api/v1/members/\(w.member)"
            let code = app.code(w.batch, 3).text
            try await Self.expectRefused(
                [
                    Refusal(
                        method: .post, uri: "/api/v1/products", scope: .admin,
                        json: #"{"sku": "P1", "name": "n", "default_points": 1, "gtin": null}"#,
                        status: 400, code: "invalid_json"),
                    // Was read as "keep the GTIN".
                    Refusal(
                        method: .patch, uri: "/api/v1/products/RICE-5KG", scope: .admin, json: #"{"gtin": null}"#, status: 400,
                        code: "invalid_json"),
                    Refusal(
                        method: .patch, uri: "/api/v1/products/RICE-5KG", scope: .admin, json: #"{"name": null}"#, status: 400,
                        code: "invalid_json"),
                    Refusal(
                        method: .post, uri: "/api/v1/batches", scope: .mint, json: #"{"sku": "RICE-5KG", "quantity": 1, "lot": null}"#,
                        status: 400,
                        code: "invalid_json", key: true),
                    Refusal(
                        method: .post, uri: "/api/v1/batches", scope: .mint,
                        json: #"{"sku": "RICE-5KG", "quantity": 1, "points_per_code": null}"#,
                        status: 400, code: "invalid_json", key: true),
                    Refusal(
                        method: .post, uri: "/api/v1/batches/\(w.batch.id)/void", scope: .mint,
                        json: #"{"from": null, "reason": "stolen"}"#,
                        status: 400, code: "invalid_json"),
                    Refusal(
                        method: .post, uri: "/api/v1/claims", scope: .claim,
                        json: #"{"code": "\#(code)", "identity": {"channel": "tmall", "external_id": "t1"}, "phone": null}"#, status: 400,
                        code: "invalid_json", key: true),
                    Refusal(
                        method: .post, uri: "/api/v1/claims", scope: .claim,
                        json: #"{"code": "\#(code)", "identity": {"channel": "tmall", "external_id": null}}"#, status: 400,
                        code: "invalid_json", key: true),
                    Refusal(
                        method: .post, uri: "\(member)/redemptions", scope: .redeem,
                        json: #"{"reward": "MUG", "quantity": 1, "channel": null}"#,
                        status: 400, code: "invalid_json", key: true),
                    Refusal(
                        method: .post, uri: "/api/v1/rewards", scope: .crmWrite,
                        json: #"{"sku": "R1", "name": "n", "cost_points": 1, "description": null}"#, status: 400, code: "invalid_json"),
                    Refusal(
                        method: .patch, uri: "/api/v1/rewards/MUG", scope: .crmWrite, json: #"{"name": null}"#, status: 400,
                        code: "invalid_json"),
                    Refusal(
                        method: .patch, uri: "/api/v1/rewards/MUG", scope: .crmWrite, json: #"{"cost_points": null}"#, status: 400,
                        code: "invalid_json"),
                    // Was read as "clear the description".
                    Refusal(
                        method: .patch, uri: "/api/v1/rewards/MUG", scope: .crmWrite, json: #"{"description": null}"#, status: 400,
                        code: "invalid_json"),
                    Refusal(
                        method: .patch, uri: "/api/v1/rewards/MUG", scope: .crmWrite, json: #"{"add_stock": null}"#, status: 400,
                        code: "invalid_json"),
                    Refusal(
                        method: .patch, uri: "/api/v1/webhooks/\(w.webhook)", scope: .admin, json: #"{"active": null}"#, status: 400,
                        code: "invalid_json"),
                    Refusal(
                        method: .post, uri: "/api/v1/webhooks/\(w.webhook)/replay", scope: .admin, json: #"{"status": null}"#, status: 400,
                        code: "invalid_json"),
                    Refusal(
                        method: .put, uri: "/api/v1/programme", scope: .admin,
                        json: #"{"points_valid_months": 12, "tier_window_months": 12, "redemption_cancel_hours": null, "tiers": []}"#,
                        status: 400,
                        code: "invalid_json"),
                ], app)
            // Where the contract says null, it is taken; a field the API does not know is ignored, null or not.
            let created = try await app.request(
                .post, "/api/v1/rewards", as: .crmWrite,
                json: #"{"sku": "R2", "name": "n", "cost_points": 1, "stock": null, "channels": null, "active_from": null, "note": null}"#)
            #expect(created.status == .created, "\(String(buffer: created.body))")
            let cleared = try await app.request(.patch, "/api/v1/rewards/R2", as: .crmWrite, json: #"{"image_url": null, "stock": null}"#)
            #expect(cleared.status == .ok, "\(String(buffer: cleared.body))")
        }
    }

    // MARK: Content-Type

    @Test("a body sent as something other than JSON is a 415 that changes nothing; JSON types with parameters pass")
    func mediaType() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let body = #"{"sku": "P1", "name": "n", "default_points": 1}"#
            let before = try await app.databaseDigest()
            for type in ["text/plain", "application/x-www-form-urlencoded", "application/xml"] {
                let response = try await app.client.execute(
                    uri: "/api/v1/products", method: .post,
                    headers: [.authorization: "Bearer \(app.secrets[.admin]!)", .contentType: type], body: ByteBuffer(string: body))
                #expect(response.status == .unsupportedMediaType, "\(type): \(response.status)")
                #expect(try errorCode(response) == "unsupported_media_type")
            }
            #expect(try await app.databaseDigest() == before)
            let json = try await app.client.execute(
                uri: "/api/v1/products", method: .post,
                headers: [.authorization: "Bearer \(app.secrets[.admin]!)", .contentType: "Application/JSON; charset=utf-8"],
                body: ByteBuffer(string: body))
            #expect(json.status == .created, "\(String(buffer: json.body))")
        }
    }

    // MARK: Date-times

    @Test("an impossible date-time is refused, not rolled over, in a body and in a query; nothing changes")
    func impossibleDateTimes() async throws {
        try await TestApp.run { app in
            let w = try await Self.world(app)
            var refusals: [Refusal] = []
            for text in [
                "2024-02-30T25:00:00Z", "2024-02-30T00:00:00Z", "2023-02-29T12:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T23:60:00Z",
                "2024-12-31T23:59:60Z", "2024-13-01T00:00:00Z", "2024-01-01T00:00:00+24:00", "2024-01-01T00:00:00", "2024-01-01",
                "0000-12-31T23:00:00Z", "2024-01-01T00:00:00.Z",
            ] {
                refusals.append(
                    Refusal(
                        method: .patch, uri: "/api/v1/rewards/MUG", scope: .crmWrite, json: #"{"active_from": "\#(text)"}"#, status: 400,
                        code: "invalid_json"))
                refusals.append(
                    Refusal(
                        method: .post, uri: "/api/v1/rewards", scope: .crmWrite,
                        json: #"{"sku": "R1", "name": "n", "cost_points": 1, "active_until": "\#(text)"}"#, status: 400,
                        code: "invalid_json"))
                let query = text.replacingOccurrences(of: "+", with: "%2B")
                refusals.append(
                    Refusal(
                        method: .get, uri: "/api/v1/members/\(w.member)/ledger?from=\(query)", scope: .crmRead, status: 400,
                        code: "invalid_from"))
                refusals.append(
                    Refusal(
                        method: .get, uri: "/api/v1/members/\(w.member)/ledger?to=\(query)", scope: .crmRead, status: 400,
                        code: "invalid_to"))
            }
            try await Self.expectRefused(refusals, app)
            let mug = try decode(Reward.self, try await app.request(.get, "/api/v1/rewards/MUG", as: .redeem))
            #expect(mug.activeFrom == nil)
        }
    }

    @Test("RFC 3339 with fractional seconds and offsets is taken, in a body and in the ledger's from and to")
    func validDateTimes() async throws {
        try await TestApp.run { app in
            let w = try await Self.world(app)
            let patched = try await app.request(
                .patch, "/api/v1/rewards/MUG", as: .crmWrite,
                json: #"{"active_from": "2025-01-01T08:00:00.123+08:00", "active_until": "2099-12-31t23:59:59.999999z"}"#)
            #expect(patched.status == .ok, "\(String(buffer: patched.body))")
            #expect(String(buffer: patched.body).contains(#""active_from":"2025-01-01T00:00:00Z""#), "\(String(buffer: patched.body))")
            let stored = try await app.int64(
                "SELECT (extract(epoch FROM active_from) * 1000)::int8 FROM rewards WHERE sku = 'MUG'")
            #expect(stored == 1_735_689_600_123)
            // A leap day, the first and last instants, and offsets west of UTC.
            for (from, to) in [
                ("2025-01-01T00:00:00.123Z", "2099-01-01T00:00:00Z"), ("2024-02-29T23:59:59-05:30", "9999-12-31T23:59:59.999Z"),
                ("0001-01-01T00:00:00Z", "2030-01-01T00:00:00%2B08:00"),
            ] {
                let ledger = try await app.request(.get, "/api/v1/members/\(w.member)/ledger?from=\(from)&to=\(to)", as: .crmRead)
                #expect(ledger.status == .ok, "\(from) \(to): \(String(buffer: ledger.body))")
            }
            // Entries at or after `from` and before `to`: all of them, then none.
            let all = try await app.request(.get, "/api/v1/members/\(w.member)/ledger?from=2000-01-01T00:00:00.5%2B08:00", as: .crmRead)
            #expect(String(buffer: all.body).contains(#""kind":"claim""#))
            let none = try await app.request(.get, "/api/v1/members/\(w.member)/ledger?to=2000-01-01T00:00:00.5-08:00", as: .crmRead)
            #expect(String(buffer: none.body).contains(#""items":[]"#))
        }
    }
}
