import Hummingbird
import TallyCore

/// `/api/v1/products`: the catalogue the packaging line mints codes for.
struct ProductController: APIController {
    let products: ProductStore

    init(_ dependencies: Dependencies) {
        products = dependencies.products
    }

    static let operations: [APIOperation<Self>] = [
        APIOperation(.post, "/api/v1/products", scope: .admin, Self.createProduct),
        APIOperation(.get, "/api/v1/products", scope: .mint, Self.listProducts),
        APIOperation(.get, "/api/v1/products/{sku}", scope: .mint, Self.getProduct),
        APIOperation(.patch, "/api/v1/products/{sku}", scope: .admin, Self.updateProduct),
    ]

    func createProduct(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields = try await request.decode(as: ProductFields.self, context: context)
        return try .json(try await products.create(fields), status: .created, context: context)
    }

    func listProducts(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let limit = try request.integer("limit", in: 1...Int64(ProductStore.maxPageSize), invalid: .invalidLimit) ?? 50
        let items = try await products.list(after: try request.sku("cursor", invalid: .invalidCursor), limit: Int(limit))
        let next = items.count == Int(limit) ? items.last?.sku : nil
        return try .json(Page(items: items, nextCursor: next), context: context)
    }

    func getProduct(_: Request, _ context: AppRequestContext) async throws -> Response {
        try .json(try await products.get(sku: context.parameters.get("sku") ?? ""), context: context)
    }

    func updateProduct(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let fields = try await request.decode(as: ProductFields.self, context: context)
        return try .json(try await products.update(sku: context.parameters.get("sku") ?? "", fields), context: context)
    }
}
