import Foundation
import Hummingbird
import Metrics
import TallyCodes
import TallyCore

/// `/console/packaging`: the products and the batches (filtered by product), each as a table
/// and CSV; creating a product or a batch (`editPackaging`) through the API's stores and
/// rules, audited. A batch's own page is `BatchPage`.
struct PackagingPage {
    static let batchPageSize = 50

    let products: ProductStore
    let batches: BatchStore
    let idempotency: IdempotencyStore
    let audit: StaffAudit
    let keyRing: KeyRing

    init(_ deps: Dependencies) {
        products = deps.products
        batches = deps.batches
        idempotency = deps.idempotency
        audit = deps.staffAudit
        keyRing = deps.config.keyRing
    }

    func addRoutes(to routes: ConsoleRoutes) {
        routes.page("/console/packaging", .packaging, .viewPackaging) { console in try await overview(console) }
        routes.page("/console/packaging/new-product", .packaging, .editPackaging) { console in
            productForm(console, ProductForm(), refusal: nil)
        }
        routes.action("/console/packaging/new-product", .packaging, .editPackaging) { console, form in
            try await createProduct(console, form)
        }
        routes.page("/console/packaging/new-batch", .packaging, .editPackaging) { console in
            try await batchForm(console, BatchForm(sku: console.query("sku")), refusal: nil)
        }
        routes.action("/console/packaging/new-batch", .packaging, .editPackaging) { console, form in
            try await createBatch(console, form)
        }
    }

    private func overview(_ console: ConsoleRequest) async throws -> Response {
        let lang = console.lang
        let sku = console.query("sku")
        let productList = try await products.list(after: nil, limit: ProductStore.maxPageSize)
        let productTable = ConsoleTable(
            caption: lang("产品", "Products"),
            columns: [
                .init("SKU"), .init(lang("名称", "Name")), .init("GTIN"), .init(lang("每码默认积分", "Default points"), numeric: true),
                .init(lang("创建时间", "Created")),
            ],
            rows: productList.map { product -> [ConsoleTable.Cell] in
                [
                    .link(product.sku, to: ConsoleURL.make("/console/packaging", [("sku", product.sku)])), .init(product.name),
                    .init(product.gtin ?? ""), .init(product.defaultPoints), .init(ConsoleFormat.time(product.createdAt, lang: lang)),
                ]
            },
            empty: lang("还没有产品。", "No products yet."))
        let before = console.query("before").flatMap { Int64($0) }
        let batchList = try await batches.list(before: before, limit: Self.batchPageSize, sku: sku)
        let batchTable = ConsoleTable(
            caption: sku.map { lang("批次：", "Batches of ") + $0 } ?? lang("批次", "Batches"),
            columns: [
                .init(lang("批次", "Batch"), numeric: true), .init("SKU"), .init(lang("数量", "Quantity"), numeric: true),
                .init(lang("每码积分", "Points per code"), numeric: true), .init(lang("批号", "Lot")), .init(lang("地区", "Region")),
                .init(lang("渠道", "Channel")), .init(lang("已激活", "Active"), numeric: true), .init(lang("已作废", "Voided"), numeric: true),
                .init(lang("创建时间", "Created")), .init(lang("创建人", "Created by")),
            ],
            rows: batchList.map { batch -> [ConsoleTable.Cell] in
                [
                    .link(String(batch.id), to: "/console/packaging/batches/\(batch.id)"), .init(batch.sku), .init(batch.quantity),
                    .init(batch.pointsPerCode), .init(batch.lot ?? ""), .init(batch.region ?? ""), .init(batch.channel ?? ""),
                    .init(Self.codes(batch, in: .active)), .init(Self.codes(batch, in: .voided)),
                    .init(ConsoleFormat.time(batch.createdAt, lang: lang)), .init(batch.createdBy ?? ""),
                ]
            },
            empty: lang("没有批次。", "No batches."))
        if console.wantsCSV {
            return console.query("table") == "products"
                ? console.csv(productTable, name: "products") : console.csv(batchTable, name: sku.map { "batches-\($0)" } ?? "batches")
        }
        var links: HTML = ""
        if console.may(.editPackaging) {
            links = """
                <p><a href="/console/packaging/new-product">\(lang("新建产品", "New product"))</a> · \
                <a href="\(ConsoleURL.make("/console/packaging/new-batch", [("sku", sku)]))">\(lang("新建批次", "New batch"))</a></p>
                """
        }
        let options = [("", lang("全部产品", "All products"))] + productList.map { ($0.sku, $0.sku) }
        let filters: HTML = """
            <form class="inline card" method="get" action="/console/packaging" role="search">
            \(ConsoleForm.select(lang("产品", "Product"), name: "sku", options: options, selected: sku ?? ""))
            <button type="submit">\(lang("筛选", "Filter"))</button>
            </form>
            """
        var more: HTML = ""
        if batchList.count == Self.batchPageSize, let last = batchList.last {
            more =
                "<p><a href=\"\(ConsoleURL.make("/console/packaging", [("sku", sku), ("before", String(last.id))]))\">\(lang("更早的批次", "Older batches"))</a></p>"
        }
        var body = links
        body += "<h2>\(lang("产品", "Products"))</h2>"
        body += productTable.html(csvURL: ConsoleURL.make("/console/packaging", [("table", "products"), ("format", "csv")]), lang: lang)
        body += "<h2>\(lang("批次", "Batches"))</h2>"
        body += filters
        body += batchTable.html(
            csvURL: ConsoleURL.make("/console/packaging", [("sku", sku), ("before", console.query("before")), ("format", "csv")]),
            lang: lang)
        body += more
        return console.page(.packaging, title: ConsoleSection.packaging.title(lang), body)
    }

    /// How many of the batch's codes are in `state`.
    static func codes(_ batch: Batch, in state: CodeState) -> Int64 {
        batch.ranges.filter { $0.state == state }.reduce(0) { $0 + $1.count }
    }

    private func productForm(_ console: ConsoleRequest, _ form: ProductForm, refusal: StoreError?) -> Response {
        let lang = console.lang
        var body = CatalogueFields.refusal(refusal?.message, lang: lang)
        body += form.html(console)
        body += "<p><a href=\"/console/packaging\">\(lang("返回包装赋码", "Back to packaging"))</a></p>"
        return console.page(
            .packaging, title: lang("新建产品", "New product"), status: refusal.map { ConsoleResponse.status(of: $0) } ?? .ok, body)
    }

    private func createProduct(_ console: ConsoleRequest, _ sent: ConsoleFormBody) async throws -> Response {
        do {
            let product = try await products.create(try ProductForm.fields(sent))
            try await audit.record(console.audit, action: "product.create", target: "product:\(product.sku)", before: nil, after: product)
            return console.done(
                ConsoleURL.make("/console/packaging", [("sku", product.sku)]),
                notice: console.lang("已创建产品 ", "Created product ") + product.sku)
        } catch let error as StoreError {
            return productForm(console, ProductForm(sent: sent), refusal: error)
        }
    }

    private func batchForm(_ console: ConsoleRequest, _ form: BatchForm, refusal: StoreError?) async throws -> Response {
        let lang = console.lang
        let productList = try await products.list(after: nil, limit: ProductStore.maxPageSize)
        var body = CatalogueFields.refusal(refusal?.message, lang: lang)
        body += productList.isEmpty ? "<p>\(lang("请先新建产品。", "Create a product first."))</p>" : form.html(console, products: productList)
        body += "<p><a href=\"/console/packaging\">\(lang("返回包装赋码", "Back to packaging"))</a></p>"
        return console.page(
            .packaging, title: lang("新建批次", "New batch"), status: refusal.map { ConsoleResponse.status(of: $0) } ?? .ok, body)
    }

    /// Creates the batch under the newest key, with its audit entry in the same transaction,
    /// once per form (its `request_key`, as the API's Idempotency-Key).
    private func createBatch(_ console: ConsoleRequest, _ sent: ConsoleFormBody) async throws -> Response {
        let lang = console.lang
        do {
            let order = try BatchForm.newBatch(sent)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let hash = IdempotencyStore.requestHash(
                method: "POST", path: "/console/packaging/new-batch", body: Array(try encoder.encode(order)))
            let actor = console.session.actor
            let kid = keyRing.newestKid
            let (recorded, replayed) = try await idempotency.perform(
                actor: actor, key: sent["request_key"] ?? UUID().uuidString, requestHash: hash
            ) { tx in
                let batch = try await batches.create(order, kid: kid, actor: actor, in: tx)
                try await audit.record(
                    console.audit, action: "batch.create", target: "batch:\(batch.id)", before: nil, after: batch, on: tx)
                return RecordedResponse(status: 201, body: Array(String(batch.id).utf8))
            }
            if !replayed {
                Counter(label: "tally_batches_created_total").increment()
                Counter(label: "tally_codes_allocated_total").increment(by: order.quantity)
            }
            let id = String(decoding: recorded.body, as: UTF8.self)
            return console.done(
                "/console/packaging/batches/\(id)",
                notice: replayed ? lang("这个批次已经创建过了。", "This batch was created already.") : lang("已创建批次 ", "Created batch ") + id)
        } catch let error as StoreError {
            return try await batchForm(console, BatchForm(sent: sent), refusal: error)
        }
    }
}
