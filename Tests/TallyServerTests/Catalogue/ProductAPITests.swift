import Foundation
import Hummingbird
import HummingbirdTesting
import TallyCore
import Testing

@Suite("Products API over real HTTP")
struct ProductAPITests {
    @Test("create, read, update and page through products")
    func lifecycle() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let created = try await app.request(.get, "/api/v1/products/RICE-5KG")
            #expect(created.status == .ok)
            let product = try decode(Product.self, created)
            #expect(product.gtin == "09506000134352" && product.defaultPoints == 10)

            let patched = try await app.request(
                .patch, "/api/v1/products/RICE-5KG", as: .admin, json: #"{"name": "Rice 5 kg (new bag)", "default_points": 12}"#)
            #expect(patched.status == .ok)
            #expect(try decode(Product.self, patched).name == "Rice 5 kg (new bag)")
            #expect(try decode(Product.self, patched).gtin == "09506000134352")

            for i in 0..<5 { try await app.createProduct(sku: "OIL-\(i)", gtin: nil) }
            let first = try decode(PageOf<Product>.self, try await app.request(.get, "/api/v1/products?limit=4"))
            #expect(first.items.map(\.sku) == ["OIL-0", "OIL-1", "OIL-2", "OIL-3"])
            let second = try decode(
                PageOf<Product>.self, try await app.request(.get, "/api/v1/products?limit=4&cursor=\(first.nextCursor!)"))
            #expect(second.items.map(\.sku) == ["OIL-4", "RICE-5KG"])
            #expect(second.nextCursor == nil)
        }
    }

    @Test(
        "every bad product is refused with its own error and changes nothing",
        arguments: [
            (#"{"name": "x", "default_points": 1}"#, 422, "missing_sku"),
            (#"{"sku": "bad sku!", "name": "x", "default_points": 1}"#, 422, "invalid_sku"),
            (#"{"sku": "A", "name": "", "default_points": 1}"#, 422, "invalid_name"),
            (#"{"sku": "A", "name": "x", "default_points": -1}"#, 422, "invalid_default_points"),
            (#"{"sku": "A", "name": "x", "default_points": 1, "gtin": "09506000134353"}"#, 422, "invalid_gtin"),
            (#"{"sku": "A", "name": "x", "default_points": 1, "image_url": "javascript:alert(1)"}"#, 422, "invalid_image_url"),
            (#"{"sku": "A", "name": "x", "default_points": "ten"}"#, 400, "invalid_json"),
            (#"{"sku": "A", "#, 400, "invalid_json"),
        ])
    func invalid(body: String, status: Int, code: String) async throws {
        try await TestApp.run { app in
            let response = try await app.request(.post, "/api/v1/products", as: .admin, json: body)
            #expect(response.status.code == status)
            #expect(try errorCode(response) == code)
            #expect(try await app.count("products") == 0)
        }
    }

    @Test("duplicates are 409, unknown products 404, oversized bodies 413, SKU cannot change")
    func conflicts() async throws {
        try await TestApp.run { app in
            try await app.createProduct()
            let again = try await app.request(
                .post, "/api/v1/products", as: .admin, json: #"{"sku": "RICE-5KG", "name": "x", "default_points": 1}"#)
            #expect(again.status == .conflict)
            #expect(try errorCode(again) == "sku_taken")
            let sameGTIN = try await app.request(
                .post, "/api/v1/products", as: .admin, json: #"{"sku": "B", "name": "x", "default_points": 1, "gtin": "9506000134352"}"#)
            #expect(sameGTIN.status == .conflict)
            #expect(try errorCode(sameGTIN) == "gtin_taken")
            let missing = try await app.request(.get, "/api/v1/products/NOPE")
            #expect(missing.status == .notFound)
            #expect(try errorCode(missing) == "product_not_found")
            let patchMissing = try await app.request(.patch, "/api/v1/products/NOPE", as: .admin, json: #"{"name": "x"}"#)
            #expect(patchMissing.status == .notFound)
            let rename = try await app.request(.patch, "/api/v1/products/RICE-5KG", as: .admin, json: #"{"sku": "OTHER"}"#)
            #expect(rename.status == .unprocessableContent)
            #expect(try errorCode(rename) == "sku_immutable")
            let huge = String(repeating: "x", count: 70_000)
            let tooLarge = try await app.request(
                .post, "/api/v1/products", as: .admin, json: #"{"sku": "C", "name": "\#(huge)", "default_points": 1}"#)
            #expect(tooLarge.status == .contentTooLarge)
            #expect(try errorCode(tooLarge) == "body_too_large")
            let badLimit = try await app.request(.get, "/api/v1/products?limit=500")
            #expect(badLimit.status == .badRequest)
            #expect(try errorCode(badLimit) == "invalid_limit")
            #expect(try await app.count("products") == 1)
        }
    }
}

/// A page of API results, as clients read it.
struct PageOf<Item: Decodable>: Decodable {
    let items: [Item]
    let nextCursor: String?
}
