import Hummingbird
import TallyCore

/// `/api/v1/products`: the catalogue the packaging line mints codes for.
struct ProductController {
    let products: ProductStore

    func addRoutes(to routes: APIRoutes) {
        routes.add(.post, "/api/v1/products", scope: .admin) { request, context in
            let fields = try await request.decode(as: ProductFields.self, context: context)
            return try .json(try await products.create(fields), status: .created, context: context)
        }
        routes.add(.get, "/api/v1/products", scope: .mint) { request, context in
            let limit = try request.integer("limit", in: 1...Int64(ProductStore.maxPageSize), invalid: .invalidLimit) ?? 50
            let items = try await products.list(after: request.uri.queryParameters["cursor"].map(String.init), limit: Int(limit))
            let next = items.count == Int(limit) ? items.last?.sku : nil
            return try .json(Page(items: items, nextCursor: next), context: context)
        }
        routes.add(.get, "/api/v1/products/{sku}", scope: .mint) { _, context in
            try .json(try await products.get(sku: context.parameters.get("sku") ?? ""), context: context)
        }
        routes.add(.patch, "/api/v1/products/{sku}", scope: .admin) { request, context in
            let fields = try await request.decode(as: ProductFields.self, context: context)
            return try .json(try await products.update(sku: context.parameters.get("sku") ?? "", fields), context: context)
        }
    }
}
