import Foundation
import Logging
import PostgresNIO
import TallyCodes

public struct Product: Sendable, Equatable, Codable {
    public var sku: String
    public var name: String
    /// GTIN-14, check digit verified.
    public var gtin: String?
    public var imageURL: String?
    public var description: String
    public var defaultPoints: Int
    public var createdAt: Date
    public var updatedAt: Date

    /// `imageUrl`, so that snake_case JSON (`image_url`) round-trips.
    enum CodingKeys: String, CodingKey {
        case sku, name, gtin, description, defaultPoints, createdAt, updatedAt
        case imageURL = "imageUrl"
    }
}

/// The fields a client sets on a product; nil means "not given" (kept on update).
public struct ProductFields: Sendable, Codable {
    public var sku: String?
    public var name: String?
    public var gtin: String?
    public var imageURL: String?
    public var description: String?
    public var defaultPoints: Int?

    enum CodingKeys: String, CodingKey {
        case sku, name, gtin, description, defaultPoints
        case imageURL = "imageUrl"
    }

    public init(
        sku: String? = nil, name: String? = nil, gtin: String? = nil, imageURL: String? = nil,
        description: String? = nil, defaultPoints: Int? = nil
    ) {
        self.sku = sku
        self.name = name
        self.gtin = gtin
        self.imageURL = imageURL
        self.description = description
        self.defaultPoints = defaultPoints
    }
}

public struct ProductStore: Sendable {
    public static let maxPageSize = 200

    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public func create(_ fields: ProductFields) async throws -> Product {
        guard let sku = fields.sku else { throw StoreError(.invalid, .missingSKU, "sku is required") }
        guard let name = fields.name else { throw StoreError(.invalid, .missingName, "name is required") }
        guard let points = fields.defaultPoints else {
            throw StoreError(.invalid, .missingDefaultPoints, "default_points is required")
        }
        let (gtin, imageURL) = try Self.validate(fields)
        // On a leased connection: PostgresNIO's pooled `query` does not give the connection back
        // when the statement fails before its rows are read (a duplicate SKU or GTIN here).
        return try await translatingConflicts {
            try await database.withConnection { connection in
                let rows = try await connection.query(
                    """
                    INSERT INTO products (sku, name, gtin, image_url, description, default_points)
                    VALUES (\(sku), \(name), \(gtin), \(imageURL), \(fields.description ?? ""), \(points))
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger)
                return try await Self.single(rows)!
            }
        }
    }

    /// Changes the given fields of the product `sku`; the SKU itself cannot change.
    public func update(sku: String, _ fields: ProductFields) async throws -> Product {
        if let newSKU = fields.sku, newSKU != sku {
            throw StoreError(.invalid, .skuImmutable, "a product's sku cannot change")
        }
        guard SKU.isValid(sku) else { throw Self.notFound(sku) }
        let (gtin, imageURL) = try Self.validate(fields)
        return try await translatingConflicts {
            try await database.withConnection { connection in
                let rows = try await connection.query(
                    """
                    UPDATE products SET
                        name = coalesce(\(fields.name), name),
                        gtin = coalesce(\(gtin), gtin),
                        image_url = coalesce(\(imageURL), image_url),
                        description = coalesce(\(fields.description), description),
                        default_points = coalesce(\(fields.defaultPoints), default_points),
                        updated_at = now()
                    WHERE sku = \(sku)
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger)
                guard let product = try await Self.single(rows) else { throw Self.notFound(sku) }
                return product
            }
        }
    }

    public func get(sku: String) async throws -> Product {
        guard SKU.isValid(sku) else { throw Self.notFound(sku) }
        let rows = try await database.query("SELECT \(unescaped: Self.columns) FROM products WHERE sku = \(sku)", logger: logger)
        guard let product = try await Self.single(rows) else { throw Self.notFound(sku) }
        return product
    }

    static func notFound(_ sku: String) -> StoreError {
        StoreError(.notFound, .productNotFound, "no product with sku \(sku)")
    }

    /// Products in SKU order, after `after` (a cursor: the last SKU of the previous page).
    public func list(after: String?, limit: Int) async throws -> [Product] {
        let rows = try await database.query(
            """
            SELECT \(unescaped: Self.columns) FROM products
            WHERE \(after)::text IS NULL OR sku > \(after)
            ORDER BY sku LIMIT \(min(max(limit, 1), Self.maxPageSize))
            """, logger: logger)
        var products: [Product] = []
        for try await row in rows { products.append(try Self.decode(row)) }
        return products
    }

    static let columns = "sku, name, gtin, image_url, description, default_points, created_at, updated_at"

    static func decode(_ row: PostgresRow) throws -> Product {
        let (sku, name, gtin, imageURL, description, points, createdAt, updatedAt) =
            try row.decode((String, String, String?, String?, String, Int, Date, Date).self)
        return Product(
            sku: sku, name: name, gtin: gtin, imageURL: imageURL, description: description,
            defaultPoints: points, createdAt: createdAt, updatedAt: updatedAt
        )
    }

    static func single(_ rows: PostgresRowSequence) async throws -> Product? {
        for try await row in rows { return try decode(row) }
        return nil
    }

    /// Checks every given field; returns the GTIN, if given, in its 14-digit form, and the
    /// image URL, if given, with its scheme in lower case.
    static func validate(_ fields: ProductFields) throws -> (gtin: String?, imageURL: String?) {
        if let sku = fields.sku { try SKU.check(sku) }
        if let name = fields.name { try TextRules.check(name, field: "name", invalid: .invalidName, lengths: 1...200) }
        if let points = fields.defaultPoints, !(0...1_000_000).contains(points) {
            throw StoreError(.invalid, .invalidDefaultPoints, "default_points is between 0 and 1000000")
        }
        if let description = fields.description {
            try TextRules.check(description, field: "description", invalid: .invalidDescription, lengths: 0...4000, multiline: true)
        }
        let imageURL = try fields.imageURL.map { try TextRules.httpURL($0, field: "image_url", invalid: .invalidImageURL) }
        guard let text = fields.gtin else { return (nil, imageURL) }
        do { return (try GTIN(text).digits, imageURL) } catch {
            throw StoreError(.invalid, .invalidGTIN, "gtin: \(error)")
        }
    }

    private func translatingConflicts<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error where DatabaseError(error)?.sqlState == DatabaseError.uniqueViolation {
            let constraint = DatabaseError(error)?.constraint ?? ""
            if constraint.contains("gtin") {
                throw StoreError(.conflict, .gtinTaken, "another product already has this gtin")
            }
            throw StoreError(.conflict, .skuTaken, "a product with this sku already exists")
        }
    }
}
