import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TallyCore
import TallyTestSupport
import Testing

/// The contract's request schemas held to the server's rules at their edges: for values just
/// inside and just outside each bound, pattern and format, the server takes a request exactly
/// when the contract says it is valid (what the contract's `minimum`, `maxLength`, `pattern`
/// and the rest promise a client, and what a contract fuzzer such as Schemathesis relies on).
/// A refused request changes nothing.
@Suite("Contract boundaries")
struct ContractBoundaryTests {
    /// One field of one operation's body, the values to try, and the body around it.
    struct Field {
        let method: HTTPRequest.Method
        /// The path template in the contract, e.g. `/api/v1/batches/{id}/void`.
        let template: String
        let uri: String
        let scope: Scope
        let keyed: Bool
        /// The body without the field, a JSON object; `#` in it becomes a number unique to the try.
        let base: String
        let name: String
        /// JSON texts of the values.
        let values: [String]
    }

    static func repeated(_ text: String, _ count: Int) -> String { "\"" + String(repeating: text, count: count) + "\"" }

    static func fields(batch: Int64, member: UUID) -> [Field] {
        let batches = { (name: String, values: [String]) in
            Field(
                method: .post, template: "/api/v1/batches", uri: "/api/v1/batches", scope: .mint, keyed: true,
                base: #"{"sku": "RICE-5KG", "quantity": 1}"#, name: name, values: values)
        }
        let void = { (values: [String]) in
            Field(
                method: .post, template: "/api/v1/batches/{id}/void", uri: "/api/v1/batches/\(batch)/void", scope: .mint, keyed: false,
                base: #"{"from": 19, "count": 1}"#, name: "reason", values: values)
        }
        let adjustments = { (name: String, base: String, values: [String]) in
            Field(
                method: .post, template: "/api/v1/members/{id}/adjustments", uri: "/api/v1/members/\(member)/adjustments", scope: .crmWrite,
                keyed: true, base: base, name: name, values: values)
        }
        let products = { (name: String, values: [String]) in
            Field(
                method: .post, template: "/api/v1/products", uri: "/api/v1/products", scope: .admin, keyed: false,
                base: #"{"sku": "P-#", "name": "n", "default_points": 1}"#, name: name, values: values)
        }
        let rewards = { (name: String, values: [String]) in
            Field(
                method: .post, template: "/api/v1/rewards", uri: "/api/v1/rewards", scope: .crmWrite, keyed: false,
                base: #"{"sku": "R-#", "name": "n", "cost_points": 1}"#, name: name, values: values)
        }
        let programme = { (name: String, values: [String]) in
            Field(
                method: .put, template: "/api/v1/programme", uri: "/api/v1/programme", scope: .admin, keyed: false,
                base: #"{"points_valid_months": 12, "tier_window_months": 12, "redemption_cancel_hours": 72, "tiers": []}"#, name: name,
                values: values)
        }
        let twentyOne = (0..<21).map { #""c\#($0)x""# }
        return [
            batches("quantity", ["0", "1", "50000000", "50000001"]),
            batches("points_per_code", ["-1", "0", "1", "1000000", "1000001"]),
            batches("points_valid_months", ["-1", "0", "120", "121"]),
            batches("lot", [#""""#, #""L""#, repeated("x", 64), repeated("x", 65), #""a\tb""#, #""a\u0085b""#, #""é 3""#]),
            batches("region", [#""华东""#, #""a\nb""#]),
            batches("channel", [#""Tmall flagship""#, #""\u007F""#]),
            batches("production_date", [#""2024-02-29""#, #""2024-2-29""#, #""２０２４-01-01""#, #""2024-02-30""#]),
            batches("url_form", [#""short""#, #""SHORT""#]),
            batches("sku", [#""RICE-5KG ""#, #""-RICE""#]),
            void([
                #""stolen""#, #""a\nb\tc""#, #""""#, #"" ""#, #""\n""#, #"" \r\n\t ""#, repeated("x", 500), repeated("x", 501),
                #""a\u0001""#,
            ]),
            adjustments("points", #"{"reason": "goodwill"}"#, ["0", "1", "-1", "10000000", "10000001", "-10000001"]),
            adjustments(
                "reason", #"{"points": 1}"#, [#""""#, #""x""#, repeated("x", 500), repeated("x", 501), #""a\nb""#, #""a\u009Fb""#]),
            products("default_points", ["-1", "0", "1000000", "1000001"]),
            products("name", [#""""#, #""n""#, repeated("n", 200), repeated("n", 201), #""a\u0000""#]),
            products("description", [#""""#, #""line\nline\ttab""#, repeated("d", 4000), repeated("d", 4001), #""\u000B""#]),
            products(
                "image_url",
                [
                    #""https://a.cn/x.png""#, #""HTTP://A.CN/x""#, #""ftp://a.cn/x""#, #""http:///x""#, #""https://a.cn/a b""#,
                    #""https://a.cn/\u0000""#, #""a.cn/x""#, "\"https://a.cn/" + String(repeating: "x", count: 1987) + "\"",
                    "\"https://a.cn/" + String(repeating: "x", count: 1988) + "\"",
                ]),
            products("gtin", [#""4006381333931""#, #""123""#]),
            rewards("cost_points", ["0", "1", "100000000", "100000001"]),
            rewards("stock", ["-1", "0", "1000000000", "1000000001", "null"]),
            rewards("per_member_limit", ["0", "1", "1000000", "1000001", "null"]),
            rewards(
                "channels",
                [
                    "[]", #"["web"]"#, #"["web", "web"]"#, #"["Web"]"#, "[" + twentyOne.dropLast().joined(separator: ",") + "]",
                    "[" + twentyOne.joined(separator: ",") + "]", "null",
                ]),
            rewards("image_url", [#""https://a.cn/m.png""#, #""https://""#, "null"]),
            rewards("active_from", [#""2025-01-01T00:00:00.5+08:00""#, #""2025-02-29T00:00:00Z""#, "null"]),
            programme("points_valid_months", ["-1", "0", "120", "121"]),
            programme("tier_window_months", ["0", "1", "60", "61"]),
            programme("redemption_cancel_hours", ["-1", "0", "8760", "8761"]),
            programme("scan_retention_months", ["-1", "0", "120", "121", "null"]),
            programme(
                "tiers",
                [
                    #"[{"name": "gold", "min_earned": 1000000000000}]"#, #"[{"name": "gold", "min_earned": 1000000000001}]"#,
                    #"[{"name": "gold", "min_earned": -1}]"#, #"[{"name": "Gold", "min_earned": 1}]"#, #"[{"name": "g", "min_earned": 1}]"#,
                    "[" + (0..<20).map { #"{"name": "t\#($0)", "min_earned": \#($0)}"# }.joined(separator: ",") + "]",
                    "[" + (0..<21).map { #"{"name": "t\#($0)", "min_earned": \#($0)}"# }.joined(separator: ",") + "]",
                ]),
            Field(
                method: .post, template: "/api/v1/members/{id}/redemptions", uri: "/api/v1/members/\(member)/redemptions", scope: .redeem,
                keyed: true, base: #"{"reward": "PEN"}"#, name: "quantity", values: ["0", "1", "100", "101"]),
            Field(
                method: .post, template: "/api/v1/members/{id}/redemptions", uri: "/api/v1/members/\(member)/redemptions", scope: .redeem,
                keyed: true, base: #"{"reward": "PEN", "quantity": 1}"#, name: "channel", values: [#""api""#, #""API""#, #""a""#]),
            Field(
                method: .post, template: "/api/v1/webhooks", uri: "/api/v1/webhooks", scope: .admin, keyed: false,
                base: #"{"event_types": ["points.credited"], "active": false}"#, name: "url",
                values: [#""https://crm.example.cn/hook""#, #""https://crm.example.cn/a b""#, #""mailto:x@y.cn""#]),
            Field(
                method: .post, template: "/api/v1/webhooks", uri: "/api/v1/webhooks", scope: .admin, keyed: false,
                base: #"{"url": "https://crm.example.cn/hook", "active": false}"#, name: "event_types",
                values: ["[]", #"["points.credited"]"#, #"["points.nope"]"#]),
        ]
    }

    @Test("the server takes a request body exactly when the contract's schema says it is valid, at each bound")
    func bodies() async throws {
        let contract = try ContractValidator.shared.get()
        try await TestApp.run { app in
            let batch = try await app.activeBatch(quantity: 20)
            let member = try await app.claimAsMember(batch, 0, externalID: "wx-bounds")
            try await app.credit(member, 1_000_000)
            _ = try await app.createReward(#"{"sku": "PEN", "name": "Pen", "cost_points": 1}"#)
            var tries = 0
            for field in Self.fields(batch: batch.id, member: member) {
                let schema = try #require(Self.bodySchema(contract, field.method, field.template), "\(field.method) \(field.template)")
                for value in field.values {
                    tries += 1
                    let base = field.base.replacingOccurrences(of: "#", with: String(tries))
                    let json = String(base.dropLast()) + (base.count > 2 ? ", " : "") + "\"\(field.name)\": \(value)}"
                    let body = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
                    let mismatches = contract.schemas.check(body, against: schema)
                    let before = try await app.databaseDigest()
                    let headers: HTTPFields = field.keyed ? [TestApp.idempotencyKey: UUID().uuidString] : [:]
                    let response = try await app.request(field.method, field.uri, as: field.scope, json: json, headers: headers)
                    let what = "\(field.method) \(field.template) \(field.name): \(value.prefix(80))"
                    if mismatches.isEmpty {
                        #expect(
                            response.status.code < 300,
                            "\(what) is valid by the contract, but the server answered \(response.status): \(String(buffer: response.body))"
                        )
                    } else {
                        #expect(
                            (400...499).contains(response.status.code),
                            "\(what) is invalid by the contract (\(mismatches.first!)), but the server answered \(response.status)")
                        #expect(try await app.databaseDigest() == before, "\(what) was refused but changed the database")
                    }
                }
            }
        }
    }

    /// One query parameter of one operation, and the values to try (as sent, and as JSON for the schema).
    struct Parameter {
        let template: String
        let uri: String
        let scope: Scope
        let name: String
        let values: [(query: String, json: JSONValue)]
    }

    @Test("the server takes a query parameter exactly when the contract's schema says it is valid, at each bound")
    func queries() async throws {
        let contract = try ContractValidator.shared.get()
        try await TestApp.run { app in
            let batch = try await app.activeBatch(quantity: 20)
            let member = try await app.claimAsMember(batch, 0, externalID: "wx-bounds")
            let parameters: [Parameter] = [
                Parameter(
                    template: "/api/v1/members/{id}/ledger", uri: "/api/v1/members/\(member)/ledger", scope: .crmRead, name: "from",
                    values: [
                        ("2025-01-01T00:00:00Z", .string("2025-01-01T00:00:00Z")),
                        ("2025-01-01T00:00:00.123456%2B08:00", .string("2025-01-01T00:00:00.123456+08:00")),
                        ("2025-02-29T00:00:00Z", .string("2025-02-29T00:00:00Z")),
                        ("2025-01-01T25:00:00Z", .string("2025-01-01T25:00:00Z")),
                        ("2025-01-01", .string("2025-01-01")),
                    ]),
                Parameter(
                    template: "/api/v1/members/{id}/ledger", uri: "/api/v1/members/\(member)/ledger", scope: .crmRead, name: "limit",
                    values: [("0", .integer(0)), ("1", .integer(1)), ("200", .integer(200)), ("201", .integer(201))]),
                Parameter(
                    template: "/api/v1/members/{id}/ledger", uri: "/api/v1/members/\(member)/ledger", scope: .crmRead, name: "kind",
                    values: [("claim", .string("claim")), ("nope", .string("nope"))]),
                Parameter(
                    template: "/api/v1/products", uri: "/api/v1/products", scope: .mint, name: "cursor",
                    values: [
                        ("RICE-5KG", .string("RICE-5KG")), ("a%20b", .string("a b")),
                        (String(repeating: "x", count: 65), .string(String(repeating: "x", count: 65))),
                    ]),
                Parameter(
                    template: "/api/v1/batches", uri: "/api/v1/batches", scope: .mint, name: "sku",
                    values: [("RICE-5KG", .string("RICE-5KG")), ("RICE%2F5KG", .string("RICE/5KG"))]),
                Parameter(
                    template: "/api/v1/segments/members.csv", uri: "/api/v1/segments/members.csv", scope: .crmRead, name: "tier",
                    values: [("gold", .string("gold")), ("g", .string("g")), ("Gold", .string("Gold")), ("1gold", .string("1gold"))]),
                Parameter(
                    template: "/api/v1/segments/members.csv", uri: "/api/v1/segments/members.csv", scope: .crmRead, name: "days",
                    values: [("0", .integer(0)), ("1", .integer(1)), ("3650", .integer(3650)), ("3651", .integer(3651))]),
                Parameter(
                    template: "/api/v1/members", uri: "/api/v1/members?external_id=x", scope: .crmRead, name: "channel",
                    values: [("tmall", .string("tmall")), ("T", .string("T"))]),
                Parameter(
                    template: "/api/v1/reports/liability", uri: "/api/v1/reports/liability", scope: .crmRead, name: "to",
                    values: [("2026-12", .string("2026-12")), ("2026-13", .string("2026-13"))]),
                Parameter(
                    template: "/api/v1/rewards", uri: "/api/v1/rewards", scope: .redeem, name: "channel",
                    values: [("web", .string("web")), ("w", .string("w"))]),
            ]
            for parameter in parameters {
                let schema = try #require(
                    Self.parameterSchema(contract, "get", parameter.template, parameter.name), "\(parameter.template) \(parameter.name)")
                for (query, json) in parameter.values {
                    let separator = parameter.uri.contains("?") ? "&" : "?"
                    let response = try await app.request(
                        .get, parameter.uri + separator + "\(parameter.name)=\(query)", as: parameter.scope)
                    let mismatches = contract.schemas.check(json, against: schema)
                    let what = "\(parameter.template)?\(parameter.name)=\(query)"
                    if mismatches.isEmpty {
                        // A member lookup that finds nobody is a 404, not a refusal of the query.
                        #expect(
                            response.status.code < 300 || response.status == .notFound,
                            "\(what) is valid by the contract, but the server answered \(response.status): \(String(buffer: response.body))"
                        )
                    } else {
                        #expect(
                            (400...499).contains(response.status.code) && response.status != .notFound,
                            "\(what) is invalid by the contract (\(mismatches.first!)), but the server answered \(response.status)")
                    }
                }
            }
        }
    }

    /// The JSON schema of the request body of `method template`.
    static func bodySchema(_ contract: ContractValidator, _ method: HTTPRequest.Method, _ template: String) -> JSONValue? {
        contract.schemas.document["paths"]?[template]?[method.rawValue.lowercased()]?["requestBody"]?["content"]?["application/json"]?[
            "schema"]
    }

    /// The schema of the query parameter `name` of `method template` (the operation's own, or the path's).
    static func parameterSchema(_ contract: ContractValidator, _ method: String, _ template: String, _ name: String) -> JSONValue? {
        let item = contract.schemas.document["paths"]?[template]
        let parameters = (item?[method]?["parameters"]?.array ?? []) + (item?["parameters"]?.array ?? [])
        for parameter in parameters {
            let resolved = parameter["$ref"]?.string.flatMap(contract.schemas.resolve) ?? parameter
            if resolved["name"]?.string == name && resolved["in"]?.string != "path" { return resolved["schema"] }
        }
        return nil
    }
}
