import Foundation
import Testing
import Yams

/// The checker that holds every answer of the suite to the contract finds what it should:
/// a validator that passes everything would prove nothing.
@Suite("Contract validator")
struct ContractValidatorTests {
    static let product =
        #"{"sku": "RICE-5KG", "name": "Rice", "description": "", "default_points": 10, "created_at": "2026-03-01T08:30:00Z", "updated_at": "2026-03-01T08:30:00.123Z"}"#

    func problems(_ method: String, _ uri: String, _ status: Int, _ body: String, contentType: String? = "application/json; charset=utf-8")
        throws -> [String]
    {
        try ContractValidator.shared.get().problems(method, uri, status: status, contentType: contentType, body: Array(body.utf8))
    }

    @Test("an answer as documented passes")
    func agrees() throws {
        #expect(try problems("GET", "/api/v1/products/RICE-5KG", 200, Self.product) == [])
        #expect(try problems("GET", "/api/v1/products?limit=2", 200, #"{"items": [\#(Self.product)], "next_cursor": "RICE-5KG"}"#) == [])
        #expect(
            try problems("GET", "/api/v1/products/X", 404, #"{"error": {"code": "product_not_found", "message": "no product X"}}"#) == [])
        #expect(
            try problems("GET", "/api/v1/nothing/here", 404, #"{"error": {"code": "not_found", "message": "no such API route"}}"#) == [])
        #expect(try problems("GET", "/Q/ANYTHING", 200, "<html>", contentType: "text/html") == [], "consumer pages are not in the contract")
        #expect(try problems("GET", "/api/v1/batches/1/codes/0.png", 200, "PNG", contentType: "image/png") == [])
        #expect(try problems("DELETE", "/api/v1/webhooks/\(UUID())", 204, "", contentType: nil) == [])
    }

    @Test("allOf composes the properties an answer may carry")
    func allOf() throws {
        let webhook =
            #"{"id": "\#(UUID())", "url": "https://crm.example.cn/hook", "event_types": ["member.created"], "active": true, "created_at": "2026-03-01T08:30:00Z""#
        #expect(try problems("POST", "/api/v1/webhooks", 201, webhook + #", "secret": "\#(String(repeating: "ab", count: 32))"}"#) == [])
        // A replay (Idempotent-Replayed) answers the subscription without its secret.
        #expect(try problems("POST", "/api/v1/webhooks", 201, webhook + "}") == [])
        // Both parts of the allOf hold: the Webhook's required properties, the secret's pattern.
        let withoutID = try problems(
            "POST", "/api/v1/webhooks", 201,
            webhook.replacing(#/"id": "[^"]+", /#, with: "") + #", "secret": "\#(String(repeating: "ab", count: 32))"}"#)
        #expect(withoutID.first?.contains("the required property id is missing") == true, "\(withoutID)")
        let shortSecret = try problems("POST", "/api/v1/webhooks", 201, webhook + #", "secret": "00"}"#)
        #expect(shortSecret.first?.contains("$.secret: \"00\" does not match the pattern") == true, "\(shortSecret)")
        let secretOnRead = try problems("GET", "/api/v1/webhooks/\(UUID())", 200, webhook + #", "secret": "00"}"#)
        #expect(secretOnRead.first?.contains("$.secret: a property the contract does not document") == true, "\(secretOnRead)")
    }

    @Test("a wrong type, a missing or undocumented property, a bad format or pattern is found, with its path")
    func bodyMismatches() throws {
        func first(_ body: String) throws -> String { try problems("GET", "/api/v1/products/RICE-5KG", 200, body).first ?? "none" }
        let product = Self.product.dropLast()
        #expect(
            try first(product.replacingOccurrences(of: #""default_points": 10"#, with: #""default_points": "10""#) + "}")
                .contains("$.default_points: expected integer, found \"10\""))
        #expect(
            try first(product.replacingOccurrences(of: #""name": "Rice", "#, with: "") + "}").contains(
                "the required property name is missing"))
        #expect(try first(product + #", "colour": "red"}"#).contains("$.colour: a property the contract does not document"))
        #expect(
            try first(product.replacingOccurrences(of: "2026-03-01T08:30:00Z", with: "2026-13-01T08:30:00Z") + "}").contains("$.created_at")
        )
        #expect(try first(product + #", "gtin": "123"}"#).contains("$.gtin: \"123\" does not match the pattern"))
        #expect(
            try first(product.replacingOccurrences(of: #""default_points": 10"#, with: #""default_points": -1"#) + "}").contains(
                "below the minimum"))
        #expect(try first(#"{"items": []}"#).contains("the required property sku is missing"))
        #expect(try first("not json").contains("not JSON"))
    }

    @Test("an undocumented status, content type or error code is found")
    func answerMismatches() throws {
        let wrongStatus = try problems("GET", "/api/v1/products/X", 409, #"{"error": {"code": "sku_taken", "message": "m"}}"#)
        #expect(
            wrongStatus.first?.contains("GET /api/v1/products/{sku} (getProduct) answered 409, a status the contract does not document")
                == true, "\(wrongStatus)")
        let wrongCode = try problems("GET", "/api/v1/products/X", 404, #"{"error": {"code": "batch_not_found", "message": "m"}}"#)
        #expect(wrongCode.first?.contains(#"$.error.code "batch_not_found" is not among the codes"#) == true, "\(wrongCode)")
        let wrongShape = try problems("GET", "/api/v1/products/X", 404, #"{"error": {"code": "product_not_found"}}"#)
        #expect(wrongShape.first?.contains("the required property message is missing") == true, "\(wrongShape)")
        let wrongType = try problems("GET", "/api/v1/batches/1/codes", 200, "{}", contentType: "application/json")
        #expect(
            wrongType.first?.contains("with Content-Type application/json, the contract documents [\"text/csv\", \"text/plain\"]") == true,
            "\(wrongType)")
        let unknownRoute = try problems("GET", "/api/v1/nothing", 404, #"{"error": {"code": "product_not_found", "message": "m"}}"#)
        #expect(unknownRoute.first?.contains("a route the contract does not have") == true, "\(unknownRoute)")
        let unexpectedBody = try problems("DELETE", "/api/v1/webhooks/\(UUID())", 204, "{}")
        #expect(unexpectedBody.first?.contains("the contract documents none") == true, "\(unexpectedBody)")
    }

    @Test("the checker's keywords: type arrays, enum, const, oneOf, anyOf, not, lengths and bounds")
    func keywords() throws {
        let checker = JSONSchemaChecker(document: .null)
        func schema(_ yaml: String) throws -> JSONValue {
            let node = try #require(try Yams.compose(yaml: yaml))
            return JSONValue(node)
        }
        func passes(_ value: JSONValue, _ yaml: String) throws -> Bool { try checker.check(value, against: schema(yaml)).isEmpty }
        #expect(try passes(.null, "{type: [integer, 'null']}"))
        #expect(try passes(.integer(3), "{type: [integer, 'null']}"))
        #expect(try !passes(.string("3"), "{type: [integer, 'null']}"))
        #expect(try passes(.number(2.0), "{type: integer}"))
        #expect(try !passes(.number(2.5), "{type: integer}"))
        #expect(try !passes(.bool(true), "{type: integer}"))
        #expect(try passes(.string("true"), "{enum: ['true']}"))
        #expect(try !passes(.bool(true), "{enum: ['true']}"))
        #expect(try passes(.string("dead"), "{const: dead}"))
        #expect(try !passes(.integer(0), "{not: {const: 0}}"))
        #expect(try passes(.integer(5), "{oneOf: [{minimum: 4}, {maximum: 4}]}"))
        #expect(try !passes(.integer(4), "{oneOf: [{minimum: 4}, {maximum: 4}]}"))
        #expect(try passes(.integer(4), "{anyOf: [{minimum: 4}, {maximum: 4}]}"))
        #expect(try !passes(.string("ab"), "{minLength: 3}"))
        #expect(try !passes(.string("abcd"), "{maxLength: 3}"))
        #expect(try passes(.string("中文字"), "{maxLength: 3}"))
        #expect(try !passes(.integer(101), "{maximum: 100}"))
        #expect(try !passes(.array([.integer(1)]), "{type: array, minItems: 2}"))
        #expect(try !passes(.string("x"), "{format: uuid}"))
        #expect(try passes(.string("2026-02-28"), "{format: date}"))
        #expect(try !passes(.string("2026-02-30"), "{format: date}"))
        #expect(try !passes(.object(["a": .integer(1)]), "{type: object, additionalProperties: {type: string}}"))
        #expect(try !passes(.integer(1), "{multipleOf: 2}"), "an unsupported keyword is reported, not skipped")
    }
}
