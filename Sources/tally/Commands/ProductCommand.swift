import ArgumentParser
import Foundation
import TallyCore

struct ProductCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "product",
        abstract: "Create and list products, directly in the database.",
        subcommands: [Create.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        @Option var sku: String
        @Option var name: String
        @Option(name: .customLong("points"), help: "Default points per code.") var defaultPoints: Int
        @Option(help: "GTIN-8/12/13/14 (check digit verified).") var gtin: String?
        @Option(name: .customLong("image-url")) var imageURL: String?
        @Option var description: String?
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let fields = ProductFields(
                sku: sku, name: name, gtin: gtin, imageURL: imageURL, description: description, defaultPoints: defaultPoints
            )
            let product = try await database.withDatabase { client, logger in
                try await ProductStore(database: client, logger: logger).create(fields)
            }
            print("created product \(product.sku) \"\(product.name)\", \(product.defaultPoints) points per code")
        }
    }

    struct List: AsyncParsableCommand {
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let products = try await database.withDatabase { client, logger in
                try await ProductStore(database: client, logger: logger).list(after: nil, limit: ProductStore.maxPageSize)
            }
            for product in products {
                print("\(product.sku)  \(product.defaultPoints) pts  \(product.gtin ?? "-")  \(product.name)")
            }
        }
    }
}
